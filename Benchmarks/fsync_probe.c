// fsync_probe: the cost of one small durable append on this disk, four ways.
//
//   cc -O2 -o /tmp/fsync_probe Benchmarks/fsync_probe.c
//   /tmp/fsync_probe DIR      (DIR on the disk the store lives on; default: .)
//
// Each mode writes 2,000 records of 300 bytes with pwrite + fdatasync into a new file and
// prints the median and 90th percentile, in microseconds:
//   append        the file grows with every record (what the log does today)
//   pre-zeroed    the file was filled with zeros first and is overwritten in place
//   fallocate     the file was extended with fallocate(2) first (unwritten extents)
//   keep-size     fallocate(FALLOC_FL_KEEP_SIZE): blocks reserved, the size still grows
// BENCHMARKS.md quotes its figures; the modes run alternately so that they share the noise.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { RECORDS = 2000, RECORD_BYTES = 300, PREPARED_BYTES = 4 << 20 };

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int prepare(int fd, int mode) {
    if (mode == 1) {
        static char zeros[1 << 16];
        for (int i = 0; i < PREPARED_BYTES / (int)sizeof zeros; i++) {
            if (write(fd, zeros, sizeof zeros) != (ssize_t)sizeof zeros) return -1;
        }
    } else if (mode == 2) {
        if (fallocate(fd, 0, 0, PREPARED_BYTES) != 0) return -1;
    } else if (mode == 3) {
        if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, PREPARED_BYTES) != 0) return -1;
    }
    return fsync(fd);
}

int main(int argc, char **argv) {
    const char *names[] = {"append", "pre-zeroed", "fallocate", "keep-size"};
    char path[4096];
    snprintf(path, sizeof path, "%s/fsync_probe.tmp", argc > 1 ? argv[1] : ".");
    char record[RECORD_BYTES];
    memset(record, 'x', sizeof record);
    static double samples[RECORDS];
    for (int round = 0; round < 3; round++) {
        for (int mode = 0; mode < 4; mode++) {
            unlink(path);
            int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || prepare(fd, mode) != 0) {
                perror(path);
                return 1;
            }
            for (int i = 0; i < RECORDS; i++) {
                double start = now_us();
                if (pwrite(fd, record, sizeof record, (off_t)i * RECORD_BYTES) != RECORD_BYTES || fdatasync(fd) != 0) {
                    perror("pwrite/fdatasync");
                    return 1;
                }
                samples[i] = now_us() - start;
            }
            close(fd);
            qsort(samples, RECORDS, sizeof samples[0], by_value);
            printf("round %d  %-10s  p50 %4.0f us  p90 %4.0f us\n", round + 1, names[mode], samples[RECORDS / 2],
                   samples[RECORDS * 9 / 10]);
        }
    }
    unlink(path);
    return 0;
}
