//go:build !desktop && !bindings

// Command neko runs the companion's three servers without a window: for
// servers, CI, browser use, and machines without a display.
package main

import (
	"fmt"
	"os"

	"neko/backend/launcher"
)

var version = "dev"

func main() {
	o, err := launcher.Parse(os.Args[1:], os.Getenv)
	if err != nil {
		if launcher.IsHelp(err) {
			fmt.Print(err)
			return
		}
		fmt.Fprintln(os.Stderr, "neko:", err)
		os.Exit(2)
	}
	switch o.Command {
	case "version":
		fmt.Println("neko", version, "(headless)")
	case "testprovider":
		os.Exit(launcher.RunTestProvider(o.ProviderPort, os.Stdout, os.Stderr))
	default:
		os.Exit(launcher.RunHeadless(o, frontendAssets(), os.Stdout, os.Stderr))
	}
}
