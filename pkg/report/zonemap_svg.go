package report

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/zonesim/zonesim/pkg/simulate"
)

// The zone map is drawn by hand, in one row: the zones left to right in the design's order, each a
// region holding its namespaces; flows between neighbours are straight arrows (rightwards above the
// middle, leftwards below it), flows between zones further apart arc above (rightwards) or below
// (leftwards) the row, so a one-way flow is one arrow and a two-way flow two. The endpoints outside
// the cluster (the internet, external services, address blocks) sit in rows under the zones.
const (
	zoneW      = 240
	zoneGap    = 190
	chipH      = 18
	chipGap    = 4
	maxChips   = 8
	zoneHead   = 66 // name, counts and the flows within, above the namespaces
	otherH     = 34
	otherGap   = 36
	charW      = 7 // an estimate of a 12px sans-serif character's width
	labelChars = 26
	mapPad     = 40
	legendH    = 74
)

// Flow colours: unchanged, and a diff's opened, closed and changed flows.
var flowColours = map[string]string{"": "#4a5568", Opened: "#1a7f37", Closed: "#cf222e", Changed: "#b35900"}

var zoneFills = []string{"#e8f1fb", "#eaf6ec", "#fdf3e1", "#f3ecfa", "#fbeaea", "#e6f4f4", "#f4f1e6"}
var zoneStrokes = []string{"#3b6ea8", "#2f7d3f", "#a86b12", "#6f4a99", "#a33a3a", "#2b7a78", "#7a6a2b"}

type point struct{ x, y float64 }

type mapLayout struct {
	zm        *ZoneMap
	zoneH     float64
	head      float64 // the height of a zone's text above its namespaces
	top       float64 // the zones' top edge
	zoneX     map[string]float64
	other     map[string]*placed
	width     float64
	height    float64
	otherTop  float64
	belowRoom float64
}

type placed struct {
	x, y, w float64
}

func arcHeight(span int) float64 { return 44 + 30*float64(span-2) }

func newMapLayout(zm *ZoneMap) *mapLayout {
	l := &mapLayout{zm: zm, zoneX: map[string]float64{}, other: map[string]*placed{}}
	index := map[string]int{}
	l.head = zoneHead
	for _, z := range zm.Zones {
		if z.Changes > 0 {
			l.head = zoneHead + 16 // room for "changed within"
		}
	}
	for i, z := range zm.Zones {
		index[z.Name] = i
		l.zoneX[z.Name] = mapPad + float64(i)*(zoneW+zoneGap)
		chips := min(len(z.Namespaces), maxChips)
		h := l.head + float64(chips*(chipH+chipGap)+14)
		if len(z.Namespaces) > maxChips {
			h += 16
		}
		l.zoneH = max(l.zoneH, h, 110)
	}
	var above, below float64
	for _, f := range zm.Flows {
		i, ok1 := index[f.From]
		j, ok2 := index[f.To]
		if !ok1 || !ok2 || abs(i-j) < 2 {
			continue
		}
		if j > i {
			above = max(above, arcHeight(j-i)+22)
		} else {
			below = max(below, arcHeight(i-j)+22)
		}
	}
	l.top = legendH + above + 20
	l.belowRoom = below
	zonesWidth := mapPad*2 + float64(len(zm.Zones))*(zoneW+zoneGap) - zoneGap
	if len(zm.Zones) == 0 {
		zonesWidth = 2 * mapPad
	}
	rowWidth := max(zonesWidth, 900) - 2*mapPad
	// The endpoints in rows under the zones, each row centred.
	l.otherTop = l.top + l.zoneH + below + 110
	var rows [][]*MapNode
	var widths []float64
	x := 0.0
	for _, o := range zm.Others {
		w := max(110, float64(utf8.RuneCountInString(endpointLabel(o))*charW+28))
		if len(rows) == 0 || x > 0 && x+w > rowWidth {
			rows = append(rows, nil)
			widths = append(widths, 0)
			x = 0
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], o)
		l.other[o.Name] = &placed{w: w}
		x += w + otherGap
		widths[len(widths)-1] = x - otherGap
	}
	for r, row := range rows {
		x := mapPad + (rowWidth-widths[r])/2
		for _, o := range row {
			p := l.other[o.Name]
			p.x, p.y = x, l.otherTop+float64(r)*(otherH+otherGap)
			x += p.w + otherGap
		}
	}
	l.width = max(zonesWidth, rowWidth+2*mapPad)
	l.height = l.otherTop + float64(len(rows))*(otherH+otherGap) + 10
	if len(rows) == 0 {
		l.height = l.top + l.zoneH + below + 40
	}
	return l
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// WriteZoneMapSVG draws the zone map as one SVG document (no fonts, scripts or images from elsewhere).
func WriteZoneMapSVG(w io.Writer, zm *ZoneMap, title string) error {
	bw := bufio.NewWriter(w)
	drawZoneMap(bw, zm, title, false)
	return bw.Flush()
}

// drawZoneMap draws the map; inPage, it may be scaled down to 60% to fit the page, and never up.
func drawZoneMap(w *bufio.Writer, zm *ZoneMap, title string, inPage bool) {
	l := newMapLayout(zm)
	style := ""
	if inPage {
		style = fmt.Sprintf(` style="min-width:%.0fpx;max-width:%.0fpx"`, 0.6*l.width, l.width)
	}
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" id="zonemap" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" font-family="Helvetica, Arial, sans-serif" font-size="12" role="img"%s>`+"\n",
		l.width, l.height, l.width, l.height, style)
	fmt.Fprintf(w, "<title>%s</title>\n<defs>\n", esc(title))
	for _, kind := range []string{"", Opened, Closed, Changed} {
		fmt.Fprintf(w, `<marker id="zm-head-%s" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>`+"\n", markerName(kind), flowColours[kind])
	}
	w.WriteString("</defs>\n")
	fmt.Fprintf(w, `<rect width="%.0f" height="%.0f" fill="#ffffff"/>`+"\n", l.width, l.height)
	fmt.Fprintf(w, `<text x="%d" y="26" font-size="16" font-weight="bold" fill="#1f2328">%s</text>`+"\n", mapPad, esc(title))
	l.legend(w)
	if !slices.ContainsFunc(zm.Zones, func(z *MapZone) bool { return z.Name != simulate.UnzonedName }) {
		fmt.Fprintf(w, `<text x="%d" y="%d" fill="#9a6700">%s</text>`+"\n", mapPad, legendH-4, esc(fmt.Sprintf(
			"No zones: no namespace has the label %s (another label: --zone-label) and no scenario names zones.", zm.Label)))
	}
	for i, z := range zm.Zones {
		l.zone(w, i, z)
	}
	for _, o := range zm.Others {
		l.endpoint(w, o)
	}
	l.flows(w)
	w.WriteString("</svg>\n")
}

func markerName(kind string) string {
	if kind == "" {
		return "allowed"
	}
	return kind
}

func (l *mapLayout) legend(w *bufio.Writer) {
	y := 48.0
	x := float64(mapPad)
	item := func(kind, dash, text string) {
		fmt.Fprintf(w, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="%s" stroke-width="2"%s marker-end="url(#zm-head-%s)"/>`,
			x, y, x+34, y, flowColours[kind], dash, markerName(kind))
		fmt.Fprintf(w, `<text x="%.0f" y="%.0f" fill="#57606a">%s</text>`+"\n", x+42, y+4, esc(text))
		x += 42 + float64(len(text)*charW) + 24
	}
	item("", "", "allowed (labelled with its ports)")
	item("", ` stroke-dasharray="6 4"`, "only some pod pairs")
	changed := false
	for _, f := range l.zm.Flows {
		changed = changed || f.Change != ""
	}
	if changed {
		item(Opened, "", "opened by the change")
		item(Closed, ` stroke-dasharray="3 3"`, "closed by the change")
		item(Changed, "", "changed")
	}
}

func (l *mapLayout) zone(w *bufio.Writer, i int, z *MapZone) {
	x, y := l.zoneX[z.Name], l.top
	fill, stroke := zoneFills[i%len(zoneFills)], zoneStrokes[i%len(zoneStrokes)]
	if z.Name == simulate.UnzonedName {
		fill, stroke = "#f2f2f2", "#8c959f"
	}
	fmt.Fprintf(w, `<g class="zone" data-zone="%s">`, esc(z.Name))
	fmt.Fprintf(w, "<title>zone %s: %d namespace(s), %d pod(s)\n%s</title>", esc(z.Name), len(z.Namespaces), z.Pods, esc(strings.Join(z.Namespaces, "\n")))
	fmt.Fprintf(w, `<rect x="%.0f" y="%.0f" width="%d" height="%.0f" rx="10" fill="%s" stroke="%s" stroke-width="2"/>`, x, y, zoneW, l.zoneH, fill, stroke)
	fmt.Fprintf(w, `<text x="%.0f" y="%.0f" font-size="15" font-weight="bold" fill="%s">%s</text>`, x+12, y+22, stroke, esc(clip(z.Name, 28)))
	meta := fmt.Sprintf("%d namespace(s) · %d pod(s)", len(z.Namespaces), z.Pods)
	fmt.Fprintf(w, `<text x="%.0f" y="%.0f" font-size="11" fill="#57606a">%s</text>`, x+12, y+38, esc(meta))
	within := z.Within
	if within == "" {
		within = "-"
	}
	fmt.Fprintf(w, `<text x="%.0f" y="%.0f" font-size="11" fill="#57606a">within: %s</text>`, x+12, y+54, esc(clip(within, 30)))
	if z.Changes > 0 {
		fmt.Fprintf(w, `<text x="%.0f" y="%.0f" font-size="11" fill="%s">%d cell(s) changed within</text>`, x+12, y+70, flowColours[Changed], z.Changes)
	}
	for k, ns := range z.Namespaces {
		if k == maxChips {
			fmt.Fprintf(w, `<text x="%.0f" y="%.0f" font-size="11" fill="#57606a">+ %d more</text>`, x+14, y+l.head+float64(k*(chipH+chipGap))+12, len(z.Namespaces)-maxChips)
			break
		}
		cy := y + l.head + float64(k*(chipH+chipGap))
		chipFill, chipStroke, name := "#ffffff", stroke, ns
		if slices.Contains(z.Added, ns) {
			chipFill, chipStroke, name = "#dafbe1", flowColours[Opened], "+ "+ns
		}
		fmt.Fprintf(w, `<rect x="%.0f" y="%.0f" width="%d" height="%d" rx="4" fill="%s" stroke="%s" stroke-opacity="0.5"/>`, x+12, cy, zoneW-24, chipH, chipFill, chipStroke)
		fmt.Fprintf(w, `<text x="%.0f" y="%.0f" font-size="11" fill="#1f2328">%s</text>`, x+18, cy+13, esc(clip(name, 31)))
	}
	w.WriteString("</g>\n")
}

func (l *mapLayout) endpoint(w *bufio.Writer, o *MapNode) {
	p := l.other[o.Name]
	fmt.Fprintf(w, `<g class="endpoint" data-zone="%s"><title>%s</title>`, esc(o.Name), esc(endpointLabel(o)))
	if o.Name == simulate.InternetName {
		fmt.Fprintf(w, `<ellipse cx="%.0f" cy="%.0f" rx="%.0f" ry="%d" fill="#f6f8fa" stroke="#57606a" stroke-width="1.5" stroke-dasharray="4 3"/>`, p.x+p.w/2, p.y+otherH/2, p.w/2, otherH/2+2)
	} else {
		fmt.Fprintf(w, `<rect x="%.0f" y="%.0f" width="%.0f" height="%d" rx="17" fill="#f6f8fa" stroke="#57606a" stroke-width="1.5"/>`, p.x, p.y, p.w, otherH)
	}
	fmt.Fprintf(w, `<text x="%.0f" y="%.0f" text-anchor="middle" fill="#1f2328">%s</text></g>`+"\n", p.x+p.w/2, p.y+otherH/2+4, esc(endpointLabel(o)))
}

// endpointLabel is an endpoint's name, and the zone whose network it is in.
func endpointLabel(o *MapNode) string {
	if o.Zone != "" {
		return o.Name + " · in zone " + o.Zone
	}
	return o.Name
}

// flows draws every flow: between zones, then between zones and the endpoints outside.
func (l *mapLayout) flows(w *bufio.Writer) {
	index := map[string]int{}
	for i, z := range l.zm.Zones {
		index[z.Name] = i
	}
	// Where each zone's and each endpoint's lines to the other row meet its edge: spread along it, in
	// the order of the other end, so lines cross as little as they can.
	zoneEnds := map[string][]string{}
	otherEnds := map[string][]string{}
	for _, f := range l.zm.Flows {
		z, o := f.From, f.To
		if l.other[z] != nil {
			z, o = o, z
		}
		if _, ok := index[z]; !ok || l.other[o] == nil {
			continue
		}
		if !slices.Contains(zoneEnds[z], o) {
			zoneEnds[z] = append(zoneEnds[z], o)
		}
		if !slices.Contains(otherEnds[o], z) {
			otherEnds[o] = append(otherEnds[o], z)
		}
	}
	spread := func(x, width float64, ends []string, end string) float64 {
		for k, e := range ends {
			if e == end {
				return x + float64(k+1)*width/float64(len(ends)+1)
			}
		}
		return x + width/2
	}
	for _, f := range l.zm.Flows {
		i, fromZone := index[f.From]
		j, toZone := index[f.To]
		switch {
		case fromZone && toZone:
			l.zoneFlow(w, f, i, j)
		case fromZone && l.other[f.To] != nil: // out of the cluster
			o := l.other[f.To]
			a := point{spread(l.zoneX[f.From], zoneW, zoneEnds[f.From], f.To) - 7, l.top + l.zoneH}
			b := point{spread(o.x, o.w, otherEnds[f.To], f.From) - 7, o.y}
			// near the endpoint, at a height per zone and per endpoint, so neighbouring labels do not meet
			l.line(w, f, a, b, 0.74-0.14*float64(index[f.From]%3)-0.08*float64(slices.Index(zoneEnds[f.From], f.To)%2))
		case toZone && l.other[f.From] != nil: // into the cluster
			o := l.other[f.From]
			a := point{spread(o.x, o.w, otherEnds[f.From], f.To) + 7, o.y}
			b := point{spread(l.zoneX[f.To], zoneW, zoneEnds[f.To], f.From) + 7, l.top + l.zoneH}
			l.line(w, f, a, b, 0.56+0.14*float64(index[f.To]%3)+0.08*float64(slices.Index(zoneEnds[f.To], f.From)%2)) // near the zone
		}
	}
}

func (l *mapLayout) zoneFlow(w *bufio.Writer, f *MapFlow, i, j int) {
	mid := l.top + l.zoneH/2
	xi, xj := l.zoneX[f.From], l.zoneX[f.To]
	switch {
	case j == i+1:
		l.line(w, f, point{xi + zoneW, mid - 16}, point{xj, mid - 16}, 0.5)
	case j == i-1:
		l.line(w, f, point{xi, mid + 16}, point{xj + zoneW, mid + 16}, 0.5)
	case j > i: // over the zones between
		h, off := arcHeight(j-i), 30+12*float64(j-i-2) // arcs of different spans meet a zone apart
		a, b := point{xi + zoneW/2 + off, l.top}, point{xj + zoneW/2 - off, l.top}
		l.arc(w, f, a, b, point{(a.x + b.x) / 2, l.top - 2*h}, point{(a.x + b.x) / 2, l.top - h - 5})
	default: // under them
		h, off := arcHeight(i-j), 30+12*float64(i-j-2)
		bottom := l.top + l.zoneH
		a, b := point{xi + zoneW/2 - off, bottom}, point{xj + zoneW/2 + off, bottom}
		l.arc(w, f, a, b, point{(a.x + b.x) / 2, bottom + 2*h}, point{(a.x + b.x) / 2, bottom + h + 15})
	}
}

// flowStyle is a flow's stroke attributes and its tooltip.
func flowStyle(f *MapFlow) (attrs, tip, label string) {
	colour := flowColours[f.Change]
	attrs = fmt.Sprintf(`fill="none" stroke="%s" stroke-width="2" marker-end="url(#zm-head-%s)"`, colour, markerName(f.Change))
	switch {
	case f.Change == Closed && f.Text == "":
		attrs += ` stroke-dasharray="3 3"`
	case f.Some:
		attrs += ` stroke-dasharray="6 4"`
	}
	label = f.Conns
	switch {
	case label == "" && f.Was != "":
		label = "was: " + f.Was
	case label == "":
		label = "closed"
	case f.Some:
		label = "some: " + label
	case f.Varies:
		label = "varies: " + label
	}
	tip = fmt.Sprintf("%s -> %s: %s", f.From, f.To, f.Text)
	if f.Text == "" {
		tip = fmt.Sprintf("%s -> %s: nothing allowed now", f.From, f.To)
		if f.Was != "" {
			tip += " (was: " + f.Was + ")"
		}
	}
	if f.Change != "" {
		tip += "\n" + f.Change + " by the change:\n" + strings.Join(f.Cells, "\n")
	}
	return attrs, tip, clip(label, labelChars)
}

func (l *mapLayout) line(w *bufio.Writer, f *MapFlow, a, b point, at float64) {
	attrs, tip, label := flowStyle(f)
	openFlow(w, f, tip)
	fmt.Fprintf(w, `<path d="M%.1f,%.1f L%.1f,%.1f" %s/>`, a.x, a.y, b.x, b.y, attrs)
	lx, ly := a.x+(b.x-a.x)*at, a.y+(b.y-a.y)*at
	if a.y == b.y { // a straight arrow between neighbours: the label above (rightwards) or below it
		if b.x > a.x {
			ly -= 7
		} else {
			ly += 16
		}
	}
	writeLabel(w, lx, ly, label, f.Change)
	w.WriteString("</g>\n")
}

func (l *mapLayout) arc(w *bufio.Writer, f *MapFlow, a, b, ctrl, at point) {
	attrs, tip, label := flowStyle(f)
	openFlow(w, f, tip)
	fmt.Fprintf(w, `<path d="M%.1f,%.1f Q%.1f,%.1f %.1f,%.1f" %s/>`, a.x, a.y, ctrl.x, ctrl.y, b.x, b.y, attrs)
	writeLabel(w, at.x, at.y, label, f.Change)
	w.WriteString("</g>\n")
}

func openFlow(w *bufio.Writer, f *MapFlow, tip string) {
	fmt.Fprintf(w, `<g class="flow" data-from="%s" data-to="%s"`, esc(f.From), esc(f.To))
	if f.Change != "" {
		fmt.Fprintf(w, ` data-change="%s"`, f.Change)
	}
	fmt.Fprintf(w, "><title>%s</title>", esc(tip))
}

func writeLabel(w *bufio.Writer, x, y float64, label, change string) {
	fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="11" fill="%s" stroke="#ffffff" stroke-width="4" paint-order="stroke">%s</text>`,
		x, y, flowColours[change], esc(label))
}

// clip shortens s to n characters, ending it with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func esc(s string) string { return html.EscapeString(s) }
