using System.Text.Json.Serialization;

namespace WorkerPool.Config;

/// <summary>The device configuration file (<c>device-config/*.json</c>): everything one device runs.</summary>
public sealed class DeviceConfig
{
    /// <summary>Stable id of this device; used in MQTT topics, so letters, digits, '-' and '_' only.</summary>
    public string DeviceId { get; set; } = "";

    /// <summary>The detection model and its thresholds.</summary>
    public ModelOptions Model { get; set; } = new();

    /// <summary>The fixed-size inference worker pool.</summary>
    public PoolOptions Pool { get; set; } = new();

    /// <summary>Multi-object tracker tuning.</summary>
    public TrackerOptions Tracker { get; set; } = new();

    /// <summary>Count windows and line-crossing behaviour.</summary>
    public CountingOptions Counting { get; set; } = new();

    /// <summary>The durable store-and-forward queue of count records.</summary>
    public OutboxOptions Outbox { get; set; } = new();

    /// <summary>The MQTT broker connection and telemetry.</summary>
    public MqttOptions Mqtt { get; set; } = new();

    /// <summary>Who may change this device remotely.</summary>
    public SecurityOptions Security { get; set; } = new();

    /// <summary>The cameras this device reads, each with its own lines and zones.</summary>
    public List<CameraOptions> Cameras { get; set; } = [];

    /// <summary>Service health: the systemd watchdog and the health file that updates wait for.</summary>
    public HealthOptions Health { get; set; } = new();

    /// <summary>Thermal care: lower camera sampling step by step while the SoC runs hot.</summary>
    public ThermalOptions Thermal { get; set; } = new();

    /// <summary>An optional status LED on a GPIO line.</summary>
    public StatusLedOptions StatusLed { get; set; } = new();

    /// <summary>Where the device belongs in the fleet: the group and tags that rollouts select devices by.</summary>
    public FleetOptions Fleet { get; set; } = new();

    /// <summary>Remote software updates: whether this device takes the releases a rollout gives it.</summary>
    public UpdatesOptions Updates { get; set; } = new();

    /// <summary>Directory of the config file; relative paths in the config resolve against it. Not serialized.</summary>
    [JsonIgnore]
    public string BaseDirectory { get; set; } = Directory.GetCurrentDirectory();

    /// <summary>The data directory: where the outbox lives, and beside it the remote-config state, the health file and the TensorRT engine cache.</summary>
    [JsonIgnore]
    public string DataDirectory => Path.GetDirectoryName(ResolvePath(Outbox.Path)) ?? BaseDirectory;

    /// <summary>
    /// Where the service and its root helper (<c>workerpool-update.service</c>) meet: the service writes an update
    /// <c>request</c> here, the helper writes <c>state.json</c>. <c>update</c> in the data directory
    /// (<c>/var/lib/workerpool/update</c> on a device, which the unit's path watch names).
    /// </summary>
    [JsonIgnore]
    public string UpdateDirectory => Path.Combine(DataDirectory, "update");

    /// <summary>Where the health file is written: <c>health.file</c>, or <c>health.json</c> in the data directory.</summary>
    [JsonIgnore]
    public string HealthFilePath => ResolvePath(Health.File ?? Path.Combine(DataDirectory, "health.json"));

    /// <summary>Resolves a path from the config against <see cref="BaseDirectory"/>.</summary>
    public string ResolvePath(string path) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(BaseDirectory, path));

    /// <summary>Copies every setting into <paramref name="target"/> (the options pattern configures an existing instance).</summary>
    public void CopyTo(DeviceConfig target)
    {
        target.DeviceId = DeviceId;
        target.Model = Model;
        target.Pool = Pool;
        target.Tracker = Tracker;
        target.Counting = Counting;
        target.Outbox = Outbox;
        target.Mqtt = Mqtt;
        target.Security = Security;
        target.Cameras = Cameras;
        target.Health = Health;
        target.Thermal = Thermal;
        target.StatusLed = StatusLed;
        target.Fleet = Fleet;
        target.Updates = Updates;
        target.BaseDirectory = BaseDirectory;
    }
}

/// <summary>Which model runs and how its output is filtered.</summary>
public sealed class ModelOptions
{
    /// <summary>Path of the model manifest (JSON, see <c>models/</c>); relative to the config file.</summary>
    public string Manifest { get; set; } = "../models/yolox_nano.json";

    /// <summary>Optional path of the .onnx file; default: the manifest's <c>file</c> beside the manifest.</summary>
    public string? Path { get; set; }

    /// <summary>Lowest detection score passed to the tracker (ByteTrack uses low-score boxes too).</summary>
    public double ScoreThreshold { get; set; } = 0.1;

    /// <summary>IoU above which overlapping person boxes are suppressed (non-maximum suppression).</summary>
    public double NmsThreshold { get; set; } = 0.45;

    /// <summary>Where <c>tensorrt:N</c> workers keep built engines (building one takes minutes); default: <c>tensorrt-cache</c> in the data directory.</summary>
    public string? EngineCachePath { get; set; }
}

/// <summary>The inference pool: exactly the workers listed, never more, never fewer.</summary>
public sealed class PoolOptions
{
    /// <summary>One entry per worker.</summary>
    public List<WorkerOptions> Workers { get; set; } = [new WorkerOptions()];

    /// <summary>Frames waiting per camera before the oldest is dropped (and counted).</summary>
    public int QueuePerCamera { get; set; } = 2;

    /// <summary>An inference running longer than this fails its frame and the worker is replaced.</summary>
    public int InferenceTimeoutMs { get; set; } = 5000;
}

/// <summary>One inference worker.</summary>
public sealed class WorkerOptions
{
    /// <summary><c>cpu</c>, <c>cuda:N</c> or <c>tensorrt:N</c>. GPU devices fall back to CPU with a warning where the runtime lacks the provider.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>CPU cores the worker's threads are pinned to; ONNX Runtime gets one intra-op thread per core. Empty: not pinned, one thread.</summary>
    public List<int> Cores { get; set; } = [];
}

/// <summary>ByteTrack parameters.</summary>
public sealed class TrackerOptions
{
    /// <summary>Detections at or above this score take part in the first association and may start tracks.</summary>
    public double HighThreshold { get; set; } = 0.5;

    /// <summary>A detection must score at least this to start a new track.</summary>
    public double NewTrackThreshold { get; set; } = 0.6;

    /// <summary>Minimum IoU for matching a high-score detection to a track.</summary>
    public double MatchIou { get; set; } = 0.2;

    /// <summary>Minimum IoU for matching a low-score detection to a track (second association).</summary>
    public double LowMatchIou { get; set; } = 0.5;

    /// <summary>How long a lost track is kept for re-identification, in seconds of video.</summary>
    public double LostSeconds { get; set; } = 1.5;

    /// <summary>
    /// A lost track's second chance: it may take a confident detection left over by the IoU matching whose centre
    /// is within this many of its own heights of its prediction (it keeps its id, so its side of every line);
    /// 0 turns it off. Larger finds more people again after an occlusion, and risks a jump across a line.
    /// </summary>
    public double LostReidHeights { get; set; } = 1.5;

    /// <summary>Minimum IoU for a track seen once to be confirmed by its second detection.</summary>
    public double UnconfirmedMatchIou { get; set; } = 0.3;

    /// <summary>
    /// Fastest a person is taken to move, in their own heights per second: a lost track found again farther from where
    /// it was last seen than this allows (plus half a height) jumped, likely onto someone else, and that move is not
    /// counted as a crossing. 0 turns the check off.
    /// </summary>
    public double MaxSpeedHeightsPerSecond { get; set; } = 2;
}

/// <summary>Counting windows and line behaviour.</summary>
public sealed class CountingOptions
{
    /// <summary>Length of a count window; windows are aligned to wall-clock multiples of it. Must divide a minute, or be whole minutes dividing an hour, or whole hours dividing a day (the fleet sums windows by minute, hour and day), unless <see cref="AllowUnalignedWindows"/>.</summary>
    public int WindowSeconds { get; set; } = 60;

    /// <summary>
    /// Accept a <see cref="WindowSeconds"/> that does not tile minutes, hours and days (7, 45): such windows straddle
    /// minute or hour boundaries, so the fleet's per-minute and hourly sums split them. Off by default.
    /// </summary>
    public bool AllowUnalignedWindows { get; set; }

    /// <summary>Dead band on each side of a line, in normalized units (0.0125 = 1.25% of the frame): a feet point must leave it to change side, so box jitter on the line never double counts.</summary>
    public double LineHysteresis { get; set; } = 0.0125;

    /// <summary>
    /// A track born inside a line's dead band (someone appearing from an occlusion on the line) takes its first side
    /// from its velocity: leaving the band to one side counts a crossing from the other. Off by default: on the PETS
    /// sample it recovers a missed crossing on one line and adds one on another (docs/ACCURACY.md).
    /// </summary>
    public bool BandBirthCrossings { get; set; }

    /// <summary>
    /// How soon a change to the open window's counts is checkpointed to the outbox, so that a crash or power cut
    /// loses at most this much counting (the window is closed from its checkpoint at the next start, marked
    /// <c>partial</c>); 0 turns checkpoints off. Frame tallies alone are checkpointed at most once a minute.
    /// </summary>
    public int CheckpointSeconds { get; set; } = 4;
}

/// <summary>One camera.</summary>
public sealed class CameraOptions
{
    /// <summary>Unique camera id (letters, digits, '-' and '_').</summary>
    public string Id { get; set; } = "";

    /// <summary><c>file://…</c> or a plain path, <c>rtsp://…</c>, <c>http(s)://…</c>, <c>usb:N</c> or <c>/dev/videoN</c>. Never with a password in it: see <see cref="Username"/>.</summary>
    public string Url { get; set; } = "";

    /// <summary>User name for an <c>rtsp://</c> or <c>http(s)://</c> camera; inserted into the URL only when the stream is opened.</summary>
    public string? Username { get; set; }

    /// <summary>File holding the camera's password (first line; relative to the config file); never logged or echoed.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Environment variable holding the camera's password; never logged or echoed.</summary>
    public string? PasswordEnv { get; set; }

    /// <summary>Set to false to keep a camera configured but not read.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Files only: start again at the end instead of stopping.</summary>
    public bool Loop { get; set; }

    /// <summary>Frames per second passed to inference; 0 = every frame the source delivers.</summary>
    public double Fps { get; set; }

    /// <summary>Width frames are scaled to for stream and USB cameras (FFmpeg); 0 = 640.</summary>
    public int Width { get; set; }

    /// <summary>Height frames are scaled to for stream and USB cameras (FFmpeg); 0 = 360.</summary>
    public int Height { get; set; }

    /// <summary>No frame for this long marks the camera stalled and restarts its reader.</summary>
    public int StallTimeoutSeconds { get; set; } = 10;

    /// <summary>Counting lines.</summary>
    public List<LineOptions> Lines { get; set; } = [];

    /// <summary>Occupancy zones.</summary>
    public List<ZoneOptions> Zones { get; set; } = [];
}

/// <summary>A counting line in normalized coordinates (0..1 of frame width and height).</summary>
public sealed class LineOptions
{
    /// <summary>Line id, unique per camera.</summary>
    public string Id { get; set; } = "";

    /// <summary>Start point [x, y].</summary>
    public double[] From { get; set; } = [];

    /// <summary>End point [x, y]. Crossing from the right of from→to (cross product &gt; 0, image y down) to its left is <c>in</c>: standing on from facing to, in goes from your right to your left.</summary>
    public double[] To { get; set; } = [];
}

/// <summary>An occupancy zone: a simple polygon in normalized coordinates.</summary>
public sealed class ZoneOptions
{
    /// <summary>Zone id, unique per camera.</summary>
    public string Id { get; set; } = "";

    /// <summary>At least three [x, y] points, not self-intersecting.</summary>
    public List<double[]> Polygon { get; set; } = [];
}

/// <summary>The LiteDB outbox: every count record is stored here before anything tries to send it.</summary>
public sealed class OutboxOptions
{
    /// <summary>Database file; relative to the config file. Its folder is created when missing.</summary>
    public string Path { get; set; } = "data/outbox.db";

    /// <summary>Most records kept; beyond it the oldest are dropped (counted and reported).</summary>
    public int MaxRecords { get; set; } = 100_000;

    /// <summary>Records older than this are dropped (counted and reported).</summary>
    public double MaxAgeHours { get; set; } = 24 * 30;

    /// <summary>Most payload bytes kept; beyond it the oldest records are dropped (counted and reported).</summary>
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Below this much free disk, records are held in memory instead of written (a full disk must not break the database).</summary>
    public long MinFreeBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>Most records held in memory while storage fails; beyond it the oldest are lost (each leaves a seq gap and is counted).</summary>
    public int MaxPendingInMemory { get; set; } = 10_000;

    /// <summary>
    /// Hours a record the broker acknowledged is kept in the outbox's archive, so that the fleet side can ask for it
    /// again (the <c>resend</c> command); 0 keeps none. The archive is the first to go when space is short: it counts
    /// in <see cref="MaxRecords"/> and <see cref="MaxBytes"/> but is dropped before any unsent record, and it is
    /// emptied while free disk is below twice <see cref="MinFreeBytes"/>.
    /// </summary>
    public double ArchiveHours { get; set; } = 168;
}

/// <summary>The MQTT broker and what the device publishes to it.</summary>
public sealed class MqttOptions
{
    /// <summary>False runs without a broker: records stay in the outbox.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Broker host name or address.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Broker port (1883 plain, 8883 TLS by convention).</summary>
    public int Port { get; set; } = 1883;

    /// <summary>MQTT client id; default: the device id.</summary>
    public string? ClientId { get; set; }

    /// <summary>First topic level of everything the device publishes.</summary>
    public string TopicPrefix { get; set; } = "workerpool";

    /// <summary>Keep-alive; the broker sends the last will after about 1.5 times this without traffic.</summary>
    public int KeepAliveSeconds { get; set; } = 30;

    /// <summary>Seconds between heartbeats.</summary>
    public int HeartbeatSeconds { get; set; } = 30;

    /// <summary>Records read from the outbox per publishing batch.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Longest wait between reconnect attempts (exponential backoff with jitter up to this).</summary>
    public int MaxBackoffSeconds { get; set; } = 30;

    /// <summary>Longest wait for the broker to answer a CONNECT, a SUBSCRIBE or the acknowledgement of a QoS 1 PUBLISH; then the attempt fails, is logged and retried after a backoff.</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>Wait after the broker refused the credentials (retrying fast would not help and floods its log).</summary>
    public int AuthFailureBackoffSeconds { get; set; } = 60;

    /// <summary>
    /// Longest wait for a remote change of the connection settings (a signed <c>mqtt</c> config, a renewed
    /// certificate): first for the test connection with the new settings, then for the session to come up on them;
    /// past it the device stays on, or goes back to, the settings it had.
    /// </summary>
    public int SwitchTimeoutSeconds { get; set; } = 30;

    /// <summary>User name, if the broker wants one.</summary>
    public string? Username { get; set; }

    /// <summary>File holding the password (first line); never logged.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Environment variable holding the password; never logged.</summary>
    public string? PasswordEnv { get; set; }

    /// <summary>TLS settings.</summary>
    public MqttTlsOptions Tls { get; set; } = new();

    /// <summary>Largest desired-config or command payload accepted; bigger ones are rejected unread.</summary>
    public int MaxPayloadBytes { get; set; } = 256 * 1024;
}

/// <summary>Authentication of remote configs.</summary>
public sealed class SecurityOptions
{
    /// <summary>PEM ECDSA P-256 public key of the fleet; when set, desired configs and commands must carry a valid signature.</summary>
    public string? FleetPublicKey { get; set; }

    /// <summary>
    /// The fleet's next key, during a key rotation: it verifies configs and commands too. The only remote change
    /// allowed in <c>security</c>: a config signed by the current key may set or clear it, and a config signed by it
    /// may make it the current one (with this field cleared).
    /// </summary>
    public string? FleetPublicKeyNext { get; set; }

    /// <summary>
    /// PEM ECDSA P-256 public key of the fleet's ingest: it verifies <c>resend</c> commands and nothing else, so the
    /// ingest, which asks devices to fill gaps by itself, never holds the key that configures them.
    /// </summary>
    public string? ResendPublicKey { get; set; }
}

/// <summary>TLS to the broker.</summary>
public sealed class MqttTlsOptions
{
    /// <summary>Use TLS.</summary>
    public bool Enabled { get; set; }

    /// <summary>PEM file of the CA that signed the broker certificate; default: the system's trust store.</summary>
    public string? CaFile { get; set; }

    /// <summary>PEM client certificate for mutual TLS.</summary>
    public string? CertFile { get; set; }

    /// <summary>PEM private key of the client certificate.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Name the broker certificate must carry; default: <see cref="MqttOptions.Host"/>.</summary>
    public string? ServerName { get; set; }

    /// <summary>
    /// The broker takes the client certificate's CN as the MQTT user name (Mosquitto's <c>use_identity_as_username</c>,
    /// as in <c>deploy-scripts/mosquitto/mosquitto-tls.conf</c>), so the CN must be the device id: the broker's ACL
    /// gives each user its own topics. False for a broker that maps users otherwise (then the CN is not checked).
    /// </summary>
    public bool CertificateCnIsUsername { get; set; } = true;
}

/// <summary>What "healthy" means for the watchdog, the health file and the status LED.</summary>
public sealed class HealthOptions
{
    /// <summary>Seconds the inference pool may finish nothing while frames wait before the service counts as unhealthy (and systemd's watchdog, if any, restarts it).</summary>
    public int StallSeconds { get; set; } = 60;

    /// <summary>Seconds a camera may stay disconnected before the service counts as degraded (fast LED blink; the watchdog keeps being fed).</summary>
    public int CameraDownSeconds { get; set; } = 30;

    /// <summary>Health file rewritten every few seconds (state, reason, version, time); default: <c>health.json</c> in the data directory.</summary>
    public string? File { get; set; }
}

/// <summary>Thermal throttling: above <see cref="ThrottleCelsius"/> camera sampling fps is lowered step by step, and restored below <see cref="ResumeCelsius"/>.</summary>
public sealed class ThermalOptions
{
    /// <summary>SoC temperature at which sampling is lowered by one step (0 = no throttling).</summary>
    public double ThrottleCelsius { get; set; }

    /// <summary>Temperature at or below which sampling is raised by one step; default (0): 5 degrees below <see cref="ThrottleCelsius"/>.</summary>
    public double ResumeCelsius { get; set; }

    /// <summary>Thermal zone to watch, by name (<c>thermal_zone1</c>) or type (<c>CPU-therm</c>); default: the hottest zone.</summary>
    public string? Zone { get; set; }

    /// <summary>Percent of each camera's full sampling rate removed per step.</summary>
    public int StepPercent { get; set; } = 25;

    /// <summary>Lowest sampling rate, in percent of the full rate.</summary>
    public int MinPercent { get; set; } = 25;

    /// <summary>Seconds between temperature readings.</summary>
    public int PollSeconds { get; set; } = 5;

    /// <summary>Seconds to wait after a step before the next one, so the SoC has time to respond.</summary>
    public int HoldSeconds { get; set; } = 30;

    /// <summary>The sysfs thermal class directory (tests point it at a fake tree).</summary>
    public string SysfsRoot { get; set; } = "/sys/class/thermal";
}

/// <summary>A status LED on one GPIO line: steady when online and counting, slow blink when offline and buffering, fast blink on error.</summary>
public sealed class StatusLedOptions
{
    /// <summary>Drive the LED.</summary>
    public bool Enabled { get; set; }

    /// <summary>GPIO chip number (<c>/dev/gpiochipN</c>).</summary>
    public int Chip { get; set; }

    /// <summary>Line (pin) number on that chip.</summary>
    public int Line { get; set; } = -1;

    /// <summary>The LED lights when the line is low.</summary>
    public bool ActiveLow { get; set; }
}

/// <summary>Where the device belongs in the fleet; reported in every heartbeat, so a rollout can select by it.</summary>
public sealed class FleetOptions
{
    /// <summary>The device's group (a site, a customer, a hardware batch): 1-64 letters, digits, '.', '-' or '_'; none by default.</summary>
    public string? Group { get; set; }

    /// <summary>Tags for rollout selectors (<c>canary</c>, <c>jetson</c>): at most 16, each like a group name.</summary>
    public List<string> Tags { get; set; } = [];
}

/// <summary>Remote software updates (docs/FLEET.md, "Rolling out a release").</summary>
public sealed class UpdatesOptions
{
    /// <summary>
    /// Take the releases a rollout gives this device (<c>software/desired</c>, signed): the service hands them to
    /// the root helper <c>workerpool-update.service</c>, which downloads, verifies and installs them with update.sh.
    /// Off by default; <c>device-config/appliance.json</c> turns it on.
    /// </summary>
    public bool Enabled { get; set; }
}
