using WorkerPool.Geometry;

namespace WorkerPool.Tracking;

/// <summary>
/// ByteTrack's constant-velocity Kalman filter on (cx, cy, aspect, height). Its motion and noise matrices are
/// block-diagonal per coordinate, so it is computed exactly as four independent 2-state filters: no matrices,
/// no allocation.
/// </summary>
public struct KalmanBoxFilter
{
    private const double WeightPosition = 1.0 / 20, WeightVelocity = 1.0 / 160;
    private Axis _x, _y, _a, _h;

    /// <summary>Starts a filter at a measured box with zero velocity.</summary>
    public static KalmanBoxFilter Initiate(in BoxF box)
    {
        var (cx, cy, a, h) = ToXyah(box);
        double pos = 2 * WeightPosition * h, vel = 10 * WeightVelocity * h;
        return new KalmanBoxFilter
        {
            _x = Axis.Start(cx, pos, vel),
            _y = Axis.Start(cy, pos, vel),
            _a = Axis.Start(a, 1e-2, 1e-5),
            _h = Axis.Start(h, pos, vel),
        };
    }

    /// <summary>Current box estimate.</summary>
    public readonly BoxF Box
    {
        get
        {
            double h = Math.Max(_h.P, 1), w = _a.P * h;
            return new BoxF((float)(_x.P - w / 2), (float)(_y.P - h / 2), (float)(_x.P + w / 2), (float)(_y.P + h / 2));
        }
    }

    /// <summary>Advances one frame.</summary>
    public void Predict(bool freezeHeightVelocity = false)
    {
        if (freezeHeightVelocity) _h.V = 0; // as ByteTrack does for lost tracks, so boxes do not balloon
        double h = _h.P, pos = WeightPosition * h, vel = WeightVelocity * h;
        _x.Predict(pos, vel);
        _y.Predict(pos, vel);
        _a.Predict(1e-2, 1e-5);
        _h.Predict(pos, vel);
    }

    /// <summary>Corrects with a measured box.</summary>
    public void Update(in BoxF box)
    {
        var (cx, cy, a, h) = ToXyah(box);
        double r = WeightPosition * _h.P;
        _x.Update(cx, r);
        _y.Update(cy, r);
        _a.Update(a, 1e-1);
        _h.Update(h, r);
    }

    private static (double Cx, double Cy, double A, double H) ToXyah(in BoxF b)
    {
        double h = Math.Max(b.Height, 1);
        return ((b.X1 + b.X2) / 2.0, (b.Y1 + b.Y2) / 2.0, b.Width / h, h);
    }

    /// <summary>Position/velocity filter of one coordinate; covariance [[Ppp, Ppv], [Ppv, Pvv]].</summary>
    private struct Axis
    {
        public double P, V, Ppp, Ppv, Pvv;

        public static Axis Start(double value, double stdPos, double stdVel) =>
            new() { P = value, Ppp = stdPos * stdPos, Pvv = stdVel * stdVel };

        public void Predict(double stdPos, double stdVel)
        {
            P += V;
            Ppp += 2 * Ppv + Pvv + stdPos * stdPos;
            Ppv += Pvv;
            Pvv += stdVel * stdVel;
        }

        public void Update(double z, double stdMeasure)
        {
            double s = Ppp + stdMeasure * stdMeasure;
            double k0 = Ppp / s, k1 = Ppv / s, y = z - P;
            P += k0 * y;
            V += k1 * y;
            Pvv -= k1 * Ppv;
            Ppp *= 1 - k0;
            Ppv *= 1 - k0;
        }
    }
}
