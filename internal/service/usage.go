package service

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/hubauth-go/whoami/hubauth"
)

// usage returns the -h text of cmd: what it does, every environment
// variable it reads (hubauth.Settings, then the command's own), and the
// flags.
func usage(out io.Writer, fs *flag.FlagSet, cmd Command) func() {
	return func() {
		line := cmd.Name
		if cmd.Synopsis != "" {
			line += " " + cmd.Synopsis
		}
		fmt.Fprintf(out, "Usage: %s\n\n%s\n\n", line, cmd.About)
		fmt.Fprintf(out, "JupyterHub starts it with these environment variables set; an externally run\nservice sets them by hand:\n\n")
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  VARIABLE\tDEFAULT\tMEANING")
		for _, s := range append(hubauth.Settings(), cmd.Settings...) {
			def := s.Default
			if def == "" {
				def = "-"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, def, s.Doc)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", MetricsListenEnv, "-", "host:port of the operations listener (/metrics, /healthz, /readyz); off when empty")
		tw.Flush()
		fmt.Fprintf(out, "\nFlags:\n")
		fs.SetOutput(out)
		fs.PrintDefaults()
	}
}
