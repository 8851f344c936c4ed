// argos-initramfs builds Linux initramfs images and sets Unix file modes: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
