package main

import (
	"embed"
	"io/fs"
)

// frontendDist is the built frontend (make frontend); an unbuilt checkout
// embeds only the placeholder and the server says how to build it.
//
//go:embed all:frontend/dist
var frontendDist embed.FS

func frontendAssets() fs.FS {
	sub, err := fs.Sub(frontendDist, "frontend/dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return sub
}
