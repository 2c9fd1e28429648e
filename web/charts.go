package web

import "math"

// Chart is a horizontal bar chart drawn as SVG on the server. Its title
// and description name it for assistive technology, and the template
// repeats its data in a table as a text alternative.
type Chart struct {
	ID     string
	Title  string
	Desc   string
	Width  int
	Height int
	RTL    bool
	Bars   []Bar
	// Head is the heading of the data table's value column.
	Head string
}

// Bar is one bar; the geometry is filled in by newChart.
type Bar struct {
	Label     string
	Value     float64
	ValueText string

	// Y is the bar's top; TextY the label's baseline (on its own line
	// above the bar), ValueY the value's (beside the bar's end).
	Y, TextY, ValueY int
	LabelX           int
	BarX, BarW       int
	ValueX           int
	BarH             int
	// Direction is the text direction: with it, a label starts and a
	// value follows the bar on the reading side in either direction.
	Direction string
}

// Chart geometry, in SVG user units. Each bar has its label on a line of
// its own above it, so the chart is narrow: on a 390 px phone it is drawn
// near its own size and its 15-unit labels stay readable (a label column
// beside the bars made them about 8 px).
const (
	chartWidth = 360
	chartRow   = 46
	chartBarH  = 16
	chartValue = 70 // room for the value after the longest bar
	chartPad   = 6
)

// newChart lays out bars whose full length stands for max (the largest
// value when max is 0). In right-to-left pages the chart is mirrored:
// labels and bars start on the right, bars grow leftwards.
func newChart(id, title, desc, head string, rtl bool, max float64, bars []Bar) Chart {
	if max <= 0 {
		for _, b := range bars {
			max = math.Max(max, b.Value)
		}
	}
	span := chartWidth - chartValue - 2*chartPad
	c := Chart{ID: id, Title: title, Desc: desc, Head: head, Width: chartWidth, Height: len(bars)*chartRow + 2*chartPad, RTL: rtl}
	for i, b := range bars {
		w := 0
		if max > 0 && b.Value > 0 {
			w = int(math.Round(b.Value / max * float64(span)))
			w = max1(w)
		}
		top := chartPad + i*chartRow
		b.TextY = top + 15
		b.Y = top + 22
		b.ValueY = b.Y + chartBarH - 3
		b.BarH = chartBarH
		b.BarW = w
		// Left to right: label from the left edge, bar below it, value
		// after the bar's end.
		labelX, barX, valueX := chartPad, chartPad, chartPad+w+chartPad
		b.Direction = "ltr"
		if rtl {
			labelX = chartWidth - chartPad
			barX = chartWidth - chartPad - w
			valueX = chartWidth - valueX
			b.Direction = "rtl"
		}
		b.LabelX, b.BarX, b.ValueX = labelX, barX, valueX
		c.Bars = append(c.Bars, b)
	}
	return c
}

func max1(w int) int {
	if w < 1 {
		return 1
	}
	return w
}
