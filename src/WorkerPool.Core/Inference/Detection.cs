using WorkerPool.Geometry;

namespace WorkerPool.Inference;

/// <summary>One detected person: a box in frame pixels and its score.</summary>
public readonly record struct Detection(BoxF Box, float Score);

/// <summary>How a frame was fitted into the network input: scale, then offset of the resized image.</summary>
public readonly record struct LetterboxInfo(float Scale, float PadX, float PadY, int FrameWidth, int FrameHeight)
{
    /// <summary>Maps a box from network-input pixels back to frame pixels, clipped to the frame.</summary>
    public BoxF ToFrame(float x1, float y1, float x2, float y2) => new(
        Math.Clamp((x1 - PadX) / Scale, 0, FrameWidth),
        Math.Clamp((y1 - PadY) / Scale, 0, FrameHeight),
        Math.Clamp((x2 - PadX) / Scale, 0, FrameWidth),
        Math.Clamp((y2 - PadY) / Scale, 0, FrameHeight));
}
