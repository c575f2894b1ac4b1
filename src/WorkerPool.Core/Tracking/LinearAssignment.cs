namespace WorkerPool.Tracking;

/// <summary>
/// Minimum-cost assignment (Hungarian algorithm with potentials, O(n²m)) on a row-major cost matrix, reusing its
/// buffers between calls. Pairs costing more than the limit are left unmatched.
/// </summary>
public sealed class LinearAssignment
{
    private const double Forbidden = 1e6;
    private double[] _cost = new double[64];
    private double[] _u = new double[16], _v = new double[16], _minv = new double[16];
    private int[] _p = new int[16], _way = new int[16];
    private bool[] _used = new bool[16];

    /// <summary>
    /// Solves for <paramref name="rows"/> x <paramref name="cols"/> costs given row-major in <paramref name="cost"/>; writes the
    /// matched column of each row (or -1) into <paramref name="rowToCol"/>.
    /// </summary>
    public void Solve(int rows, int cols, ReadOnlySpan<double> cost, double limit, Span<int> rowToCol)
    {
        rowToCol[..rows].Fill(-1);
        if (rows == 0 || cols == 0) return;
        bool transpose = rows > cols; // the algorithm needs n <= m
        int n = transpose ? cols : rows, m = transpose ? rows : cols;
        Ensure(n, m);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double c = transpose ? cost[j * cols + i] : cost[i * cols + j];
                _cost[i * m + j] = c > limit ? Forbidden : c;
            }

        Array.Clear(_u, 0, n + 1);
        Array.Clear(_v, 0, m + 1);
        Array.Clear(_p, 0, m + 1);
        for (int i = 1; i <= n; i++)
        {
            _p[0] = i;
            int j0 = 0;
            Array.Fill(_minv, double.PositiveInfinity, 0, m + 1);
            Array.Clear(_used, 0, m + 1);
            do
            {
                _used[j0] = true;
                int i0 = _p[j0], j1 = 0;
                double delta = double.PositiveInfinity;
                for (int j = 1; j <= m; j++)
                {
                    if (_used[j]) continue;
                    double cur = _cost[(i0 - 1) * m + (j - 1)] - _u[i0] - _v[j];
                    if (cur < _minv[j]) { _minv[j] = cur; _way[j] = j0; }
                    if (_minv[j] < delta) { delta = _minv[j]; j1 = j; }
                }
                for (int j = 0; j <= m; j++)
                {
                    if (_used[j]) { _u[_p[j]] += delta; _v[j] -= delta; }
                    else _minv[j] -= delta;
                }
                j0 = j1;
            } while (_p[j0] != 0);
            do
            {
                int j1 = _way[j0];
                _p[j0] = _p[j1];
                j0 = j1;
            } while (j0 != 0);
        }

        for (int j = 1; j <= m; j++)
        {
            int i = _p[j];
            if (i == 0 || _cost[(i - 1) * m + (j - 1)] >= Forbidden) continue;
            if (transpose) rowToCol[j - 1] = i - 1;
            else rowToCol[i - 1] = j - 1;
        }
    }

    private void Ensure(int n, int m)
    {
        if (_cost.Length < n * m) _cost = new double[n * m * 2];
        if (_u.Length < n + 1 || _v.Length < m + 1)
        {
            int size = Math.Max(n, m) * 2 + 1;
            _u = new double[size]; _v = new double[size]; _minv = new double[size];
            _p = new int[size]; _way = new int[size]; _used = new bool[size];
        }
    }
}
