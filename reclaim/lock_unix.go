//go:build unix && !aix && !solaris

package reclaim

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f without waiting
// (flock(2) LOCK_EX|LOCK_NB). The lock belongs to f's open file
// description: closing f releases it, and a second open of the same file,
// even in the same process, cannot take it meanwhile. It returns
// ErrJournalLocked when another holder has it.
func lockFile(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lockErr error
	if err := rc.Control(func(fd uintptr) {
		for {
			lockErr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
			if !errors.Is(lockErr, syscall.EINTR) {
				return
			}
		}
	}); err != nil {
		return err
	}
	if errors.Is(lockErr, syscall.EWOULDBLOCK) {
		return ErrJournalLocked
	}
	return lockErr
}
