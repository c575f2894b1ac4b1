#!/usr/bin/python3
"""A real RTSP server on loopback for the camera tests: serves a video file as H.264 at rtsp://127.0.0.1:PORT/test.
Debian's GStreamer RTSP server (gir1.2-gst-rtsp-server-1.0, python3-gi). Usage: rtsp_server.py PORT VIDEO"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
port, video = sys.argv[1], sys.argv[2]
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    f'( filesrc location="{video}" ! decodebin ! videoconvert ! '
    "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 ! rtph264pay name=pay0 pt=96 )"
)
factory.set_shared(True)
server.get_mount_points().add_factory("/test", factory)
if server.attach(None) == 0:
    print("failed to bind", flush=True)
    sys.exit(1)
print("ready", flush=True)
GLib.MainLoop().run()
