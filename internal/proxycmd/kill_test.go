package proxycmd

import "syscall"

// syscallKill0 reports whether pid is gone (an error) or still there (nil).
func syscallKill0(pid int) error { return syscall.Kill(pid, 0) }
