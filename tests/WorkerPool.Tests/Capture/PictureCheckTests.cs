using Microsoft.Extensions.Time.Testing;
using OpenCvSharp;
using WorkerPool.Capture;

namespace WorkerPool.Tests.Capture;

/// <summary>The frozen and near-uniform picture check, on real frames, with a fake clock.</summary>
public sealed class PictureCheckTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly PictureCheck _check;
    private readonly Mat _scene = new(480, 640, MatType.CV_8UC3);

    public PictureCheckTests()
    {
        _check = new PictureCheck(_time);
        Cv2.Randu(_scene, new Scalar(0, 0, 0), new Scalar(255, 255, 255)); // a textured picture
    }

    /// <summary>Looks once a second for <paramref name="seconds"/> seconds, at the frame <paramref name="frame"/> makes for each.</summary>
    private void Watch(int seconds, Func<int, Mat> frame)
    {
        for (int i = 0; i <= seconds; i++)
        {
            if (i > 0) _time.Advance(TimeSpan.FromSeconds(1));
            Assert.True(_check.Observe(frame(i)));
        }
    }

    [Fact]
    public void ConstantFrame_CountsTheSecondsItHasNotChanged()
    {
        Watch(10, _ => _scene);

        Assert.Equal(10, _check.FrozenSeconds);
        Assert.False(_check.Uniform);
    }

    [Fact]
    public void ChangingFrame_IsNeverFrozen()
    {
        using var moving = _scene.Clone();
        Watch(10, i =>
        {
            _scene.CopyTo(moving);
            Cv2.Rectangle(moving, new Rect(40 * i, 100, 120, 240), Scalar.All(i % 2 == 0 ? 0 : 255), -1); // someone walking by
            return moving;
        });

        Assert.Equal(0, _check.FrozenSeconds);
    }

    [Fact]
    public void StillNightSceneWhereOnlyAQuarterMovesByOneLevel_IsNotFrozen()
    {
        // Noise reduction and skipped blocks leave most of a still picture identical from frame to frame; a frozen
        // stream leaves all of it identical. Only the second may be called frozen.
        using var even = new Mat(480, 640, MatType.CV_8UC3, new Scalar(40, 40, 40));
        using var odd = even.Clone();
        using (var top = odd[new OpenCvSharp.Rect(0, 0, 640, 120)]) top.SetTo(new Scalar(41, 41, 41));
        Watch(60, i => i % 2 == 0 ? even : odd);

        Assert.Equal(0, _check.FrozenSeconds);
    }

    [Fact]
    public void StillSceneFromALiveSensor_ChangesWithItsNoise_SoIsNotFrozen()
    {
        using var wall = new Mat(480, 640, MatType.CV_16SC3, new Scalar(90, 100, 110));
        using var noise = new Mat(480, 640, MatType.CV_16SC3);
        using var sum = new Mat();
        using var frame = new Mat();
        Watch(10, _ =>
        {
            Cv2.Randn(noise, Scalar.All(0), Scalar.All(2)); // a couple of grey levels: what a working sensor adds to a still room
            Cv2.Add(wall, noise, sum);
            sum.ConvertTo(frame, MatType.CV_8UC3);
            return frame;
        });

        Assert.Equal(0, _check.FrozenSeconds);
        Assert.True(_check.Uniform); // a blank wall is near-uniform though: the other half of the check
    }

    [Fact]
    public void BlackFrame_IsUniform_AndFrozenWhileItStays()
    {
        using var black = new Mat(480, 640, MatType.CV_8UC3, Scalar.All(0));

        Watch(5, _ => black);

        Assert.True(_check.Uniform);
        Assert.Equal(5, _check.FrozenSeconds);
    }

    [Fact]
    public void PictureThatChangesAgain_StartsCountingFromZero()
    {
        using var other = new Mat(480, 640, MatType.CV_8UC3);
        Cv2.Randu(other, Scalar.All(0), Scalar.All(255));
        Watch(6, i => i == 4 ? other : _scene);

        // Changed at 4 (to the other picture) and at 5 (back): unchanged from 5 to 6.
        Assert.Equal(1, _check.FrozenSeconds);
    }

    [Fact]
    public void FramesBetweenChecks_AreNotLookedAt()
    {
        Assert.True(_check.Observe(_scene));
        _time.Advance(TimeSpan.FromMilliseconds(400));

        Assert.False(_check.Observe(_scene));
        _time.Advance(TimeSpan.FromMilliseconds(600));
        Assert.True(_check.Observe(_scene));
        Assert.Equal(1, _check.FrozenSeconds);
    }

    [Fact]
    public void BeforeTwoChecks_NothingIsKnown_AndARestartForgetsTheLastConnection()
    {
        Assert.Null(_check.FrozenSeconds);
        Assert.Null(_check.Uniform);
        Assert.True(_check.Observe(_scene));
        Assert.Null(_check.FrozenSeconds); // one picture cannot have stayed the same
        Assert.False(_check.Uniform);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(_check.Observe(_scene));
        Assert.Equal(30, _check.FrozenSeconds);

        _check.Restart();

        Assert.Null(_check.FrozenSeconds);
        Assert.Null(_check.Uniform);
        Assert.True(_check.Observe(_scene)); // at once: a new connection is looked at from its first frame
        Assert.Null(_check.FrozenSeconds);
    }

    [Fact]
    public void GreyFrames_AreCheckedToo_OtherPixelTypesAndTinyFramesAreNot()
    {
        using var grey = new Mat(480, 640, MatType.CV_8UC1, Scalar.All(128));
        using var floats = new Mat(480, 640, MatType.CV_32FC3, Scalar.All(0.5));
        using var tiny = new Mat(8, 8, MatType.CV_8UC3, Scalar.All(0));
        using var empty = new Mat();

        Assert.False(_check.Observe(floats));
        Assert.False(_check.Observe(tiny));
        Assert.False(_check.Observe(empty));
        Assert.True(_check.Observe(grey));
        Assert.True(_check.Uniform);
    }

    [Fact]
    public void Observe_AllocatesNothing()
    {
        Watch(2, _ => _scene); // warm up
        long allocated = 0;

        for (int i = 0; i < 100; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(500)); // every other call samples
            long before = GC.GetAllocatedBytesForCurrentThread();
            _check.Observe(_scene);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(0, allocated);
    }

    public void Dispose() => _scene.Dispose();
}
