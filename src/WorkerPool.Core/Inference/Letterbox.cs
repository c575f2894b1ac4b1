using OpenCvSharp;
using WorkerPool.Config;

namespace WorkerPool.Inference;

/// <summary>
/// Fits a BGR frame into the network's NCHW float input (aspect ratio kept, padded), writing into a tensor
/// buffer it does not own. Keeps one resized <see cref="Mat"/> that is reused while the frame size stays the same.
/// </summary>
public sealed class Letterbox : IDisposable
{
    private readonly int _width, _height;
    private readonly bool _rgb, _center;
    private readonly float _scale, _pad;
    private readonly Mat _resized = new();

    /// <summary>Creates a letterbox for a model's input layout.</summary>
    public Letterbox(ModelManifest manifest)
    {
        _width = manifest.InputWidth;
        _height = manifest.InputHeight;
        _rgb = manifest.ChannelOrder == "rgb";
        _center = manifest.Letterbox == "center";
        _scale = manifest.Normalize ? 1f / 255f : 1f;
        _pad = manifest.PadValue * _scale;
    }

    /// <summary>Number of floats in the input tensor (3 x H x W).</summary>
    public int TensorLength => 3 * _width * _height;

    /// <summary>Writes <paramref name="frame"/> (8-bit BGR) into <paramref name="tensor"/> and returns how it was placed.</summary>
    public unsafe LetterboxInfo Apply(Mat frame, Span<float> tensor)
    {
        if (frame.Empty() || frame.Type() != MatType.CV_8UC3)
            throw new ArgumentException($"frame must be a non-empty 8-bit BGR image, got {frame.Type()} {frame.Width}x{frame.Height}", nameof(frame));
        if (tensor.Length != TensorLength) throw new ArgumentException("tensor has the wrong length", nameof(tensor));

        float r = Math.Min((float)_width / frame.Width, (float)_height / frame.Height);
        int nw = Math.Max(1, (int)Math.Round(frame.Width * r)), nh = Math.Max(1, (int)Math.Round(frame.Height * r));
        int padX = _center ? (_width - nw) / 2 : 0, padY = _center ? (_height - nh) / 2 : 0;
        Cv2.Resize(frame, _resized, new Size(nw, nh), 0, 0, InterpolationFlags.Linear);

        int plane = _width * _height;
        tensor.Fill(_pad);
        var c0 = tensor[..plane];
        var c1 = tensor.Slice(plane, plane);
        var c2 = tensor.Slice(2 * plane, plane);
        // Channel order in the Mat is B, G, R; the network wants BGR or RGB planes.
        var first = _rgb ? c2 : c0;
        var last = _rgb ? c0 : c2;
        byte* data = (byte*)_resized.DataPointer;
        long step = _resized.Step();
        for (int y = 0; y < nh; y++)
        {
            byte* row = data + y * step;
            int o = (y + padY) * _width + padX;
            for (int x = 0; x < nw; x++, o++)
            {
                first[o] = row[3 * x] * _scale;
                c1[o] = row[3 * x + 1] * _scale;
                last[o] = row[3 * x + 2] * _scale;
            }
        }
        return new LetterboxInfo(r, padX, padY, frame.Width, frame.Height);
    }

    /// <inheritdoc />
    public void Dispose() => _resized.Dispose();
}
