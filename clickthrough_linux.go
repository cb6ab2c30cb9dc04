//go:build desktop || bindings

package main

/*
#cgo pkg-config: gtk+-3.0
#include <gtk/gtk.h>
#include <stdlib.h>

typedef struct { int on; int handleW; int handleH; } neko_click_through;

// neko_apply_click_through runs on the GTK main loop: it sets the input
// shape of every toplevel window to a small strip around the drag handle
// (top centre) while click-through is on, and clears it otherwise.
static gboolean neko_apply_click_through(gpointer data) {
	neko_click_through *ct = data;
	GList *tops = gtk_window_list_toplevels();
	for (GList *l = tops; l != NULL; l = l->next) {
		GtkWindow *w = GTK_WINDOW(l->data);
		if (gtk_window_get_window_type(w) != GTK_WINDOW_TOPLEVEL) continue;
		if (!ct->on) {
			gtk_widget_input_shape_combine_region(GTK_WIDGET(w), NULL);
			continue;
		}
		int width = gtk_widget_get_allocated_width(GTK_WIDGET(w));
		cairo_rectangle_int_t r = { (width - ct->handleW) / 2, 0, ct->handleW, ct->handleH };
		cairo_region_t *reg = cairo_region_create_rectangle(&r);
		gtk_widget_input_shape_combine_region(GTK_WIDGET(w), reg);
		cairo_region_destroy(reg);
	}
	g_list_free(tops);
	free(ct);
	return G_SOURCE_REMOVE;
}

static void neko_set_click_through(int on, int handleW, int handleH) {
	neko_click_through *ct = malloc(sizeof *ct);
	if (ct == NULL) return;
	ct->on = on;
	ct->handleW = handleW;
	ct->handleH = handleH;
	g_idle_add(neko_apply_click_through, ct);
}
*/
import "C"

// Drag handle kept clickable while click-through is on (the pet page draws
// its handle at the top centre).
const handleW, handleH = 96, 32

// clickThroughSupported says whether setClickThrough works here.
const clickThroughSupported = true

// setClickThrough lets mouse input pass through the window to the windows
// below (an input shape of only the drag handle), or takes it back. X11 and
// Wayland both honour GTK input shapes.
func setClickThrough(on bool) error {
	v := C.int(0)
	if on {
		v = 1
	}
	C.neko_set_click_through(v, handleW, handleH)
	return nil
}
