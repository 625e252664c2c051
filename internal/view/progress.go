package view

import (
	"io"

	"github.com/schollz/progressbar/v3"

	"eksaccess/internal/apply"
)

// Progress is a progress bar on w for a run of n changes: count, rate and time left,
// cleared when done. Runs of five changes or fewer get none (nil, and a no-op finish).
func Progress(w io.Writer, n int, label string) (apply.Progress, func()) {
	if n <= 5 {
		return nil, func() {}
	}
	bar := progressbar.NewOptions(n,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100_000_000),
	)
	return barProgress{bar}, func() { bar.Finish() }
}

type barProgress struct{ b *progressbar.ProgressBar }

func (p barProgress) Add(n int) { p.b.Add(n) }
