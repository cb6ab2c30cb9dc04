package launcher

import (
	"log/slog"
	"os/exec"
	"runtime"
)

// openBrowser opens url in the user's default browser.
func openBrowser(url string, log *slog.Logger) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	case "darwin":
		cmd = exec.Command("open", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		log.Warn("could not open a browser; open the URL yourself", "url", url, "err", err)
		return
	}
	go func() { _ = cmd.Wait() }()
}
