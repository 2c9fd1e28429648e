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

	Y, TextY   int
	LabelX     int
	BarX, BarW int
	ValueX     int
	BarH       int
	// Direction is the text direction: with it, a label's end and a
	// value's start fall next to the bar in either direction.
	Direction string
}

// Chart geometry, in SVG user units.
const (
	chartWidth = 640
	chartRow   = 30
	chartBarH  = 20
	chartLabel = 280 // label column
	chartValue = 80  // room for the value after the longest bar
	chartPad   = 6
)

// newChart lays out bars whose full length stands for max (the largest
// value when max is 0). In right-to-left pages the chart is mirrored:
// labels on the right, bars growing leftwards.
func newChart(id, title, desc, head string, rtl bool, max float64, bars []Bar) Chart {
	if max <= 0 {
		for _, b := range bars {
			max = math.Max(max, b.Value)
		}
	}
	span := chartWidth - chartLabel - chartValue - 2*chartPad
	c := Chart{ID: id, Title: title, Desc: desc, Head: head, Width: chartWidth, Height: len(bars)*chartRow + 2*chartPad, RTL: rtl}
	for i, b := range bars {
		w := 0
		if max > 0 && b.Value > 0 {
			w = int(math.Round(b.Value / max * float64(span)))
			w = max1(w)
		}
		b.Y = chartPad + i*chartRow + (chartRow-chartBarH)/2
		b.TextY = b.Y + chartBarH/2 + 5
		b.BarH = chartBarH
		b.BarW = w
		// Left to right: [label|bar value]; text anchored at its end
		// next to the bar, value anchored at its start after the bar.
		labelX := chartLabel - chartPad
		barX := chartLabel
		valueX := chartLabel + w + chartPad
		b.Direction = "ltr"
		if rtl {
			labelX = chartWidth - labelX
			barX = chartWidth - chartLabel - w
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
