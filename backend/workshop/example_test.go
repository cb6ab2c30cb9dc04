package workshop_test

import (
	"log/slog"
	"net/http"
	"path/filepath"

	"neko/backend/workshop"
)

// The shell mounts the API under /api/steam/workshop/.
func ExampleService_Handler() {
	data := "/home/me/Documents/N.E.K.O"
	svc := workshop.New(workshop.Config{
		ConfigDir:     filepath.Join(data, "config"),
		DefaultFolder: filepath.Join(data, "workshop"),
		Logger:        slog.Default(),
	}, nil) // pass the character store to enable /sync-characters

	mux := http.NewServeMux()
	mux.Handle(workshop.Prefix+"/", svc.Handler())
	// Mount svc.Root() at /workshop/ with a file server that refuses
	// symlinks out of the root (never a bare http.FileServer: workshop
	// content is untrusted), and run svc.SyncCharacters(ctx) once the
	// servers are up.
}
