namespace WorkerPool.Gate;

/// <summary>
/// The queue's answer for an admitted frame it pushed out before a worker took it: the pool fell behind (live), or
/// the pipeline stopped with the frame still waiting. Counting needs it so the camera's reorder buffer does not wait
/// for the frame, and counts it as <c>framesDropped</c>. It carries the frame's stamps, not its image: the queue has
/// already handed the frame back to its camera.
/// </summary>
/// <param name="CameraId">Camera that captured the frame.</param>
/// <param name="Admit">Number the frame gate gave it (dense per camera).</param>
/// <param name="Sequence">The camera's own frame number.</param>
/// <param name="CaptureTime">Wall-clock capture time: the window the drop counts in.</param>
public readonly record struct DroppedFrame(string CameraId, long Admit, long Sequence, DateTimeOffset CaptureTime);
