// Command traycheck drives neko's tray over D-Bus the way a desktop panel
// does: it finds the StatusNotifierItem of a process, reads its menu
// (com.canonical.dbusmenu GetLayout) and clicks an item by its label. The
// desktop smoke test uses it to check the tray and to quit through it.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

type layout struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []dbus.Variant
}

func main() {
	pid := flag.Int("pid", 0, "process that owns the tray")
	click := flag.String("click", "", "label of the menu item to click (empty: only list)")
	checked := flag.String("checked", "", "fail unless the checkbox item with this label is checked")
	unchecked := flag.String("unchecked", "", "fail unless the checkbox item with this label is not checked")
	wait := flag.Duration("wait", 10*time.Second, "how long to wait for the tray to appear")
	flag.Parse()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		fail("session bus: %v", err)
	}
	defer conn.Close()
	name := fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", *pid)
	deadline := time.Now().Add(*wait)
	for {
		var names []string
		if err := conn.BusObject().Call("org.freedesktop.DBus.ListNames", 0).Store(&names); err != nil {
			fail("list names: %v", err)
		}
		if contains(names, name) {
			break
		}
		if time.Now().After(deadline) {
			fail("no %s on the session bus", name)
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Println("traycheck: registered", name)
	sni := conn.Object(name, "/StatusNotifierItem")
	title, err := sni.GetProperty("org.kde.StatusNotifierItem.Title")
	if err != nil {
		fail("read title: %v", err)
	}
	fmt.Println("traycheck: title", title.Value())
	menu := conn.Object(name, "/StatusNotifierItem/menu")
	var rev uint32
	var root layout
	if err := menu.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{}).Store(&rev, &root); err != nil {
		fail("GetLayout: %v", err)
	}
	items := map[string]item{}
	walk(root, items)
	var labels []string
	for l, it := range items {
		switch it.toggle {
		case 1:
			l = "[x] " + l
		case 0:
			l = "[ ] " + l
		}
		labels = append(labels, l)
	}
	sort.Strings(labels)
	fmt.Println("traycheck: menu", strings.Join(labels, " | "))
	for label, want := range map[string]int32{*checked: 1, *unchecked: 0} {
		if label == "" {
			continue
		}
		it, ok := items[label]
		if !ok {
			fail("no menu item %q", label)
		}
		if it.toggle != want {
			fail("item %q has toggle-state %d, want %d", label, it.toggle, want)
		}
	}
	if *click == "" {
		return
	}
	it, ok := items[*click]
	if !ok {
		fail("no menu item %q", *click)
	}
	id := it.id
	call := menu.Call("com.canonical.dbusmenu.Event", 0, id, "clicked", dbus.MakeVariant(int32(0)), uint32(time.Now().Unix()))
	if call.Err != nil {
		fail("click %q: %v", *click, call.Err)
	}
	fmt.Println("traycheck: clicked", *click)
}

// item is one menu entry: its id and, for a checkbox, its toggle-state
// (1 checked, 0 not; -1 for plain items).
type item struct {
	id     int32
	toggle int32
}

func walk(l layout, out map[string]item) {
	if v, ok := l.Props["label"]; ok {
		if s, ok := v.Value().(string); ok && s != "" {
			it := item{id: l.ID, toggle: -1}
			if t, ok := l.Props["toggle-type"]; ok && t.Value() == "checkmark" {
				it.toggle = 0
				if st, ok := l.Props["toggle-state"].Value().(int32); ok {
					it.toggle = st
				}
			}
			out[s] = it
		}
	}
	for _, c := range l.Children {
		var child layout
		if err := dbus.Store([]interface{}{c.Value()}, &child); err == nil {
			walk(child, out)
		}
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "traycheck: "+format+"\n", a...)
	os.Exit(1)
}
