// Package workshop finds Steam workshop content for N.E.K.O (App ID 4099310)
// without a Steam client: it discovers Steam libraries from the usual install
// folders (and the Windows registry), parses libraryfolders.vdf, resolves the
// workshop root by the original's order (user mod folder, Steam content
// folder, cached folder, default folder), scans items for Live2D models, VRM
// models and *.chara.json character cards, imports cards into the character
// list, and serves the Steam-less /api/steam/workshop/* routes.
//
// Workshop content is untrusted data: every path is confined to its item or
// base folder (no "..", no absolute paths, no symlinks leading out), every file
// read is size-capped, scans are bounded, and nothing in an item is executed.
package workshop
