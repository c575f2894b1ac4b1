using OpenCvSharp;

namespace WorkerPool.Pipeline;

/// <summary>Encodes a frame as a JPEG under a size cap: quality first, then size, is lowered until it fits.</summary>
internal static class SnapshotEncoder
{
    /// <summary>The JPEG of <paramref name="image"/> in at most <paramref name="maxBytes"/> (or the smallest tried).</summary>
    public static SnapshotImage Encode(Mat image, int maxBytes)
    {
        for (int quality = 85, scale = 1; ; )
        {
            using var sized = scale == 1 ? image.Clone() : image.Resize(new Size(image.Width / scale, image.Height / scale));
            Cv2.ImEncode(".jpg", sized, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, quality));
            if (jpeg.Length <= maxBytes || (scale >= 16 && quality <= 30)) return new SnapshotImage(jpeg, sized.Width, sized.Height);
            if (quality > 45) quality -= 20;
            else scale *= 2;
        }
    }
}
