// fsbench: the timed inner loops of bench/fs/run.sh, one workload per call, so the shell can
// interleave systems, drop caches and remount between them. Each call prints one line:
//   <seconds> <count>
// where count is bytes (write, read) or operations (randread, mkfiles, stat, readfiles, unlink).
// Only the loop itself is timed (CLOCK_MONOTONIC); buffers are prepared before the clock starts.
//
//   fsbench write FILE MIB random|zero   write MIB MiB in 1 MiB write(2)s, then fsync(2) and close(2)
//   fsbench read FILE                    read the whole file in 1 MiB read(2)s
//   fsbench randread FILE COUNT SEED     COUNT pread(2)s of 4 KiB at 4 KiB-aligned random offsets
//   fsbench mkfiles DIR N                N x (open O_CREAT|O_EXCL, write 4 KiB, close)
//   fsbench stat DIR N                   N x stat(2)
//   fsbench readfiles DIR N              N x (open, read 4 KiB, close); every file must hold 4 KiB
//   fsbench unlink DIR N                 N x unlink(2)
//
// Random data comes from xoshiro256** over a 64 MiB buffer cycled through the file: a compressor
// working per stripe (argos: 512 KiB) or per block finds nothing to squeeze.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024L * 1024L)
#define POOL_BYTES (64L * MIB)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *path)
{
    fprintf(stderr, "fsbench: %s %s: %s\n", what, path ? path : "", strerror(errno));
    exit(1);
}

static uint64_t s[4];
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t next(void)
{
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return r;
}
static void seed(uint64_t v)
{
    for (int i = 0; i < 4; i++) { v += 0x9e3779b97f4a7c15ULL; uint64_t z = v; z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL; z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL; s[i] = z ^ (z >> 31); }
}

static char *aligned(size_t n)
{
    void *p;
    if (posix_memalign(&p, 4096, n)) { errno = ENOMEM; die("allocate", NULL); }
    memset(p, 0, n);
    return p;
}

static void path_of(char *out, size_t n, const char *dir, long i) { snprintf(out, n, "%s/f%06ld", dir, i); }

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: see the top of fsbench.c\n"); return 2; }
    const char *op = argv[1], *target = argv[2];
    double t0, t1;
    long count = 0;
    char path[4096];

    if (!strcmp(op, "write") && argc == 5) {
        long mib = atol(argv[3]);
        int random = !strcmp(argv[4], "random");
        char *pool = aligned(random ? POOL_BYTES : MIB);
        if (random) { seed(42); for (long i = 0; i < POOL_BYTES / 8; i++) ((uint64_t *)pool)[i] = next(); }
        int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) die("open", target);
        t0 = now();
        for (long i = 0; i < mib; i++) {
            const char *src = random ? pool + (i * MIB) % POOL_BYTES : pool;
            if (write(fd, src, MIB) != MIB) die("write", target);
        }
        if (fsync(fd)) die("fsync", target);
        if (close(fd)) die("close", target);
        t1 = now();
        count = mib * MIB;
    } else if (!strcmp(op, "read") && argc == 3) {
        char *buf = aligned(MIB);
        int fd = open(target, O_RDONLY);
        if (fd < 0) die("open", target);
        t0 = now();
        ssize_t n;
        while ((n = read(fd, buf, MIB)) > 0) count += n;
        if (n < 0) die("read", target);
        close(fd);
        t1 = now();
    } else if (!strcmp(op, "randread") && argc == 5) {
        long n = atol(argv[3]);
        seed(strtoull(argv[4], NULL, 10));
        char *buf = aligned(4096);
        int fd = open(target, O_RDONLY);
        if (fd < 0) die("open", target);
        struct stat st;
        if (fstat(fd, &st)) die("fstat", target);
        long blocks = st.st_size / 4096;
        if (blocks < 1) { errno = EINVAL; die("file too small", target); }
        off_t *offs = malloc(n * sizeof(off_t));
        for (long i = 0; i < n; i++) offs[i] = (off_t)(next() % blocks) * 4096;
        t0 = now();
        for (long i = 0; i < n; i++)
            if (pread(fd, buf, 4096, offs[i]) != 4096) die("pread", target);
        t1 = now();
        close(fd);
        count = n;
    } else if (argc == 4 && (!strcmp(op, "mkfiles") || !strcmp(op, "stat") || !strcmp(op, "readfiles") || !strcmp(op, "unlink"))) {
        long n = atol(argv[3]);
        char *buf = aligned(4096);
        char *rbuf = aligned(4096);
        memset(buf, 'a', 4096);
        struct stat st;
        t0 = now();
        for (long i = 0; i < n; i++) {
            path_of(path, sizeof path, target, i);
            if (op[0] == 'm') {
                int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
                if (fd < 0) die("open", path);
                if (write(fd, buf, 4096) != 4096) die("write", path);
                if (close(fd)) die("close", path);
            } else if (op[0] == 's') {
                if (stat(path, &st)) die("stat", path);
                if (st.st_size != 4096) { errno = EIO; die("stat size != 4096", path); }
            } else if (op[0] == 'r') {
                int fd = open(path, O_RDONLY);
                if (fd < 0) die("open", path);
                rbuf[0] = rbuf[4095] = 0;
                if (read(fd, rbuf, 4096) != 4096) die("read", path);
                if (rbuf[0] != 'a' || rbuf[4095] != 'a') { errno = EIO; die("read wrong content", path); }
                close(fd);
            } else {
                if (unlink(path)) die("unlink", path);
            }
        }
        t1 = now();
        count = n;
    } else {
        fprintf(stderr, "fsbench: bad arguments; usage: see the top of fsbench.c\n");
        return 2;
    }
    printf("%.6f %ld\n", t1 - t0, count);
    return 0;
}
