package whoami

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/hubauth-go/whoami/hubauth"
)

// Usage returns a flag.Usage function that explains the command and lists
// every environment variable it reads, from hubauth.Settings.
func Usage(out io.Writer, fs *flag.FlagSet, name, about string) func() {
	return func() {
		fmt.Fprintf(out, "Usage: %s\n\n%s\n\n", name, about)
		fmt.Fprintf(out, "JupyterHub starts it with these environment variables set; an externally run\nservice sets them by hand:\n\n")
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  VARIABLE\tDEFAULT\tMEANING")
		for _, s := range hubauth.Settings() {
			def := s.Default
			if def == "" {
				def = "-"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, def, s.Doc)
		}
		tw.Flush()
		var flags bool
		fs.VisitAll(func(*flag.Flag) { flags = true })
		if flags {
			fmt.Fprintf(out, "\nFlags:\n")
			fs.SetOutput(out)
			fs.PrintDefaults()
		}
	}
}
