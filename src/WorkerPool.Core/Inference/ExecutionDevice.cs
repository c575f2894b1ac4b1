namespace WorkerPool.Inference;

/// <summary>Where a worker runs its model.</summary>
public enum DeviceKind
{
    /// <summary>ONNX Runtime's CPU provider.</summary>
    Cpu,
    /// <summary>The CUDA execution provider.</summary>
    Cuda,
    /// <summary>The TensorRT execution provider (with CUDA behind it).</summary>
    TensorRt,
}

/// <summary>A parsed <c>device</c> string: <c>cpu</c>, <c>cuda:N</c> or <c>tensorrt:N</c>.</summary>
public readonly record struct ExecutionDevice(DeviceKind Kind, int Index)
{
    /// <summary>Parses a device string; false for anything else.</summary>
    public static bool TryParse(string? text, out ExecutionDevice device)
    {
        device = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        if (text == "cpu") { device = new(DeviceKind.Cpu, 0); return true; }
        var parts = text.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, null, out int index) || index > 15) return false;
        switch (parts[0])
        {
            case "cuda": device = new(DeviceKind.Cuda, index); return true;
            case "tensorrt": device = new(DeviceKind.TensorRt, index); return true;
            default: return false;
        }
    }

    /// <summary>The ONNX Runtime execution provider this device needs; null for the CPU, which every build has.</summary>
    public string? ProviderName => Kind switch
    {
        DeviceKind.Cuda => "CUDAExecutionProvider",
        DeviceKind.TensorRt => "TensorrtExecutionProvider",
        _ => null,
    };

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => $"cuda:{Index}",
        _ => $"tensorrt:{Index}",
    };
}
