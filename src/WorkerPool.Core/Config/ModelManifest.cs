namespace WorkerPool.Config;

/// <summary>What a model file is and how to feed it (<c>models/*.json</c>).</summary>
public sealed class ModelManifest
{
    /// <summary>Short model name.</summary>
    public string Name { get; set; } = "";

    /// <summary>File name of the .onnx beside the manifest.</summary>
    public string File { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the file; checked at start.</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>Output layout: <c>yolox</c> (raw 1xNx85 head) or <c>yolov8</c> (1x84xN, no objectness).</summary>
    public string Format { get; set; } = "yolox";

    /// <summary>Network input width in pixels.</summary>
    public int InputWidth { get; set; } = 416;

    /// <summary>Network input height in pixels.</summary>
    public int InputHeight { get; set; } = 416;

    /// <summary><c>bgr</c> or <c>rgb</c>.</summary>
    public string ChannelOrder { get; set; } = "bgr";

    /// <summary>True: pixel values are divided by 255.</summary>
    public bool Normalize { get; set; }

    /// <summary><c>top-left</c> (YOLOX) or <c>center</c> (Ultralytics) placement of the resized image.</summary>
    public string Letterbox { get; set; } = "top-left";

    /// <summary>Grey level of the letterbox padding.</summary>
    public int PadValue { get; set; } = 114;

    /// <summary>Class index of "person".</summary>
    public int PersonClass { get; set; }

    /// <summary>Number of classes in the output.</summary>
    public int NumClasses { get; set; } = 80;

    /// <summary>Class names by index (documentation; only <see cref="PersonClass"/> is used).</summary>
    public Dictionary<string, string> Classes { get; set; } = [];

    /// <summary>Licence of the weights.</summary>
    public string Licence { get; set; } = "";

    /// <summary>Where the file can be downloaded when it is not in <c>../shared/models</c>.</summary>
    public string UpstreamUrl { get; set; } = "";
}
