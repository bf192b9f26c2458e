/// Reading Linux's `/proc/locks`: which process holds a lock on a file.
enum ProcLocks {
    /// A file as `/proc/locks` names it: the device's major and minor numbers, and the inode.
    struct LockedFile: Equatable {
        let major: UInt64
        let minor: UInt64
        let inode: UInt64

        init(major: UInt64, minor: UInt64, inode: UInt64) {
            self.major = major
            self.minor = minor
            self.inode = inode
        }

        /// Splits `device` (a `st_dev`) as glibc's `major` and `minor` do.
        init(device: UInt64, inode: UInt64) {
            self.init(
                major: ((device >> 8) & 0xfff) | ((device >> 32) & 0xffff_f000),
                minor: (device & 0xff) | ((device >> 12) & 0xffff_ff00),
                inode: inode
            )
        }

        /// Parses `fd:01:1234567` (major and minor in hexadecimal, the inode in decimal).
        init?(procLocksField field: Substring) {
            let parts = field.split(separator: ":")
            guard parts.count == 3, let major = UInt64(parts[0], radix: 16),
                let minor = UInt64(parts[1], radix: 16), let inode = UInt64(parts[2])
            else {
                return nil
            }
            self.init(major: major, minor: minor, inode: inode)
        }
    }

    /// The live holder of the `flock` on `file` among `lines` of `/proc/locks`, such as
    /// `1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234567 0 EOF` (waiters have `->` after the number).
    /// Inode numbers repeat across devices, so the device must match too. Only when no line
    /// matches both is a line with the same inode taken, and only if it is the one such line: an
    /// overlay file system can list the lower file's device instead of the one `stat` gave.
    static func flockHolder(in lines: [String], of file: LockedFile, isAlive: (Int32) -> Bool) -> Int32? {
        var sameInode: [Int32] = []
        for line in lines {
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard fields.count >= 6, fields[1] == "FLOCK", let pid = Int32(fields[4]),
                let listed = LockedFile(procLocksField: fields[5]), listed.inode == file.inode, isAlive(pid)
            else {
                continue
            }
            if listed == file {
                return pid
            }
            sameInode.append(pid)
        }
        return sameInode.count == 1 ? sameInode[0] : nil
    }
}
