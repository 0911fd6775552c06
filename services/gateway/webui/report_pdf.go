package webui

import (
	"fmt"
	"io"

	"codeberg.org/go-pdf/fpdf"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// writeReportPDF lays the event report out on A4 pages in the core
// Helvetica font. Text is set in Windows-1252, which holds English and
// Italian; a character outside it prints as a question mark. Streams are
// left uncompressed: the report is small, and its text stays searchable
// by any tool.
func writeReportPDF(w io.Writer, l *Lang, ev *meetingsv1.Event, f figures, loads []slotLoad, rows []reportRow) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.SetTitle(ev.GetName(), true)
	pdf.SetCreator("Tandem", true)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	// fit cuts text to a cell's width; translated text has a byte a character.
	fit := func(s string, w float64) string {
		s = tr(s)
		for len(s) > 1 && pdf.GetStringWidth(s) > w-1 {
			s = s[:len(s)-1]
		}
		return s
	}
	tz := ev.GetTimeZone()
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "", 8)
		pdf.CellFormat(0, 6, fmt.Sprint(pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 16)
	pdf.MultiCell(0, 8, tr(ev.GetName()), "", "L", false)
	pdf.SetFont("Helvetica", "", 10)
	pdf.MultiCell(0, 5, tr(ev.GetVenue()+" · "+tz), "", "L", false)
	pdf.Ln(4)

	heading := func(key string) {
		pdf.Ln(2)
		pdf.SetFont("Helvetica", "B", 12)
		pdf.SetTextColor(0x0b, 0x6e, 0x6e)
		pdf.CellFormat(0, 7, tr(l.T(key)), "", 1, "L", false, 0, "")
		pdf.SetTextColor(0x1d, 0x2a, 0x33)
		pdf.SetFont("Helvetica", "", 10)
	}
	heading("event.figures")
	for _, kv := range [][2]string{
		{l.T("event.participants"), fmt.Sprint(f.Participants)},
		{l.T("event.requests"), fmt.Sprint(f.Requests)},
		{l.T("event.acceptance"), l.Percent(f.AcceptanceRate)},
		{l.T("event.placed"), fmt.Sprintf("%d / %d", f.Placed, f.UpperBound)},
		{l.T("event.without"), fmt.Sprint(f.Without)},
		{l.T("event.checked_in"), fmt.Sprintf("%d / %d", f.CheckedIn, f.Participants)},
		{l.T("event.no_shows"), fmt.Sprint(f.NoShows)},
	} {
		pdf.CellFormat(80, 6, tr(kv[0]), "B", 0, "L", false, 0, "")
		pdf.CellFormat(30, 6, kv[1], "B", 1, "R", false, 0, "")
	}

	if len(loads) > 0 {
		heading("event.load")
		for _, s := range loads {
			pdf.CellFormat(45, 5, tr(l.Day(s.Slot.GetStartTime(), tz)+" "+l.Clock(s.Slot.GetStartTime(), tz)), "", 0, "L", false, 0, "")
			x, y := pdf.GetXY()
			pdf.SetFillColor(0xd5, 0xda, 0xdf)
			pdf.Rect(x, y+1, 100, 3, "F")
			pdf.SetFillColor(0x0b, 0x6e, 0x6e)
			if s.Pct > 0 {
				pdf.Rect(x, y+1, float64(s.Pct), 3, "F")
			}
			pdf.SetX(x + 104)
			pdf.CellFormat(0, 5, fmt.Sprintf("%d / %d", s.Meetings, s.Tables), "", 1, "L", false, 0, "")
		}
	}

	if len(rows) > 0 {
		heading("event.schedule")
		widths := []float64{30, 25, 45, 45, 45}
		head := []string{l.T("agenda.when"), l.T("agenda.table"), l.T("day.parties"), "", l.T("day.absent")}
		pdf.SetFont("Helvetica", "B", 9)
		for i, h := range head {
			pdf.CellFormat(widths[i], 6, tr(h), "B", 0, "L", false, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont("Helvetica", "", 9)
		for _, r := range rows {
			when := l.When(r.M.GetStartTime(), tz)
			if r.M.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED {
				when += " (" + l.E(r.M.GetStatus()) + ")"
			}
			for i, cell := range []string{when, l.Table(r.Table), r.Who1, r.Who2, r.Absent} {
				pdf.CellFormat(widths[i], 5, fit(cell, widths[i]), "", 0, "L", false, 0, "")
			}
			pdf.Ln(-1)
		}
	}
	return pdf.Output(w)
}
