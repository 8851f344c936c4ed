namespace Argos.Initramfs;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("argos-initramfs: no commands yet");
        return 2;
    }
}
