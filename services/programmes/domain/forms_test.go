package domain

import (
	"strings"
	"testing"

	eventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
)

func TestImportFormsWholeOrNothing(t *testing.T) {
	good := "form,area,sex,age_band,disability,water,roads\n1,Ait Ali,female,18_34,no,4,\n2,Centre,male,60_plus,yes,2,5\n"
	evs, rows, err := DecideImport(ImportForms{ID: "i1", Council: council, Period: "2025", Format: FormatTasharuk, CSV: good}, at("2025-06-01"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1].Line != 3 || len(evs) != 1 {
		t.Fatalf("rows %v, events %d", rows, len(evs))
	}
	f := rows[0].Form
	if f.GetSex() != eventsv1.Sex_SEX_FEMALE || f.GetAgeBand() != eventsv1.AgeBand_AGE_BAND_18_34 || len(f.GetScores()) != 1 || f.GetScores()[0].GetScore() != 4 {
		t.Errorf("form %v", f)
	}
	// A bad score on line 3 and a bad sex on line 4: both named, nothing kept.
	bad := good + "3,Centre,x,18_34,no,4,\n"
	bad = strings.Replace(bad, "2,Centre,male,60_plus,yes,2,5", "2,Centre,male,60_plus,yes,7,5", 1)
	_, _, err = DecideImport(ImportForms{ID: "i1", Council: council, Period: "2025", Format: FormatTasharuk, CSV: bad}, at("2025-06-01"))
	refusedWith(t, err, ReasonMalformedCSV, "")
	for _, want := range []string{"line 3: water \"7\"", "line 4: sex \"x\"", "nothing was imported"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	// A name column refuses the file.
	_, _, err = DecideImport(ImportForms{ID: "i1", Council: council, Period: "2025", Format: FormatTasharuk, CSV: "form,name,area,sex,age_band,disability,water\n1,Fatima,A,f,18_34,no,3\n"}, at("2025-06-01"))
	refusedWith(t, err, ReasonMalformedCSV, "")
	if !strings.Contains(err.Error(), `"name"`) {
		t.Errorf("%q does not name the column", err)
	}
}

func TestImportKoboExport(t *testing.T) {
	kobo := "start;end;group_profil/sex;group_profil/age_band;group_profil/disability;group_profil/area;satisfaction/water;satisfaction/waste;_id;_uuid;_submission_time\n" +
		"2025-03-01T10:00;2025-03-01T10:05;female;18_34;yes;Tadla;5;3;101;3f1c-aa;2025-03-01T10:06\n"
	evs, rows, err := DecideImport(ImportForms{ID: "k", Council: council, Period: "2025-03", Format: FormatKobo, CSV: kobo}, at("2025-06-01"))
	if err != nil {
		t.Fatal(err)
	}
	f := rows[0].Form
	if f.GetFormRef() != "3f1c-aa" || f.GetDisability() != eventsv1.Disability_DISABILITY_YES || len(f.GetScores()) != 2 || len(evs) != 1 {
		t.Errorf("form %v", f)
	}
}

func TestImportPartsOfAThousand(t *testing.T) {
	var b strings.Builder
	b.WriteString("form,area,sex,age_band,disability,water\n")
	for i := 0; i < 2500; i++ {
		b.WriteString("x,A,female,18_34,no,3\n")
	}
	evs, rows, err := DecideImport(ImportForms{ID: "p", Council: council, Period: "2025", Format: FormatTasharuk, CSV: b.String()}, at("2025-06-01"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2500 || len(evs) != 3 {
		t.Fatalf("%d rows in %d events", len(rows), len(evs))
	}
	last := evs[2].Payload.(*eventsv1.SurveyFormsImported)
	if last.GetPart() != 3 || last.GetParts() != 3 || len(last.GetForms()) != 500 {
		t.Errorf("last part %d/%d with %d forms", last.GetPart(), last.GetParts(), len(last.GetForms()))
	}
}
