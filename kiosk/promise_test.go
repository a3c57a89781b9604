package kiosk

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"lobbyline/assets"
)

// promises are sentences that commit the kiosk to something it does not
// do: it sends no text messages, tells no host, and nobody is called on
// the phone number a visitor gives (only its last four digits are asked,
// at check-out: issue 13 §6). Until a feature does
// that (and only while it is configured and working), no screen, no
// message template and no translation may say so, in any language.
var promises = map[string][]*regexp.Regexp{
	"en": {
		regexp.MustCompile(`(?i)\bstaff (may|will|can) (call|ring|phone) you\b|\b(call|ring) you back\b`),
		regexp.MustCompile(`(?i)\b(sms|text message|a text)\b`),
		regexp.MustCompile(`(?i)\bhost\b.*\b(told|notified|informed|let know)\b`),
	},
	"es": {
		regexp.MustCompile(`(?i)(para que le llamemos|le (llamaremos|llamarán) (por teléfono|al)|le devolveremos la llamada)`),
		regexp.MustCompile(`(?i)\b(sms|mensaje de texto)\b`),
		regexp.MustCompile(`(?i)avisaremos a (la persona|su anfitri)`),
	},
	"de": {
		regexp.MustCompile(`(?i)(rückruf|rufen (wir )?sie zurück)`),
		regexp.MustCompile(`(?i)\b(sms|textnachricht|kurznachricht)\b`),
		regexp.MustCompile(`(?i)(gastgeber|die person, die sie besuchen).*\b(benachrichtigt|informiert|verständigt|bescheid)\b`),
		regexp.MustCompile(`(?i)wir (benachrichtigen|informieren|verständigen) (die person|ihren gastgeber|ihre gastgeberin)`),
	},
	"fr": {
		regexp.MustCompile(`(?i)(pour vous rappeler|nous vous rappellerons)`),
		regexp.MustCompile(`(?i)\b(sms|texto|message texte)\b`),
		regexp.MustCompile(`(?i)(la personne que vous (venez voir|visitez)|votre hôte).*\b(prévenue?|avertie?|informée?)\b`),
		regexp.MustCompile(`(?i)nous (préviendrons|avertirons|informerons) (la personne|votre hôte)`),
	},
	"it": {
		regexp.MustCompile(`(?i)(per richiamarla|la richiameremo)`),
		regexp.MustCompile(`(?i)\b(sms|messaggio di testo)\b`),
		regexp.MustCompile(`(?i)(avviseremo|informeremo|avvertiremo) (la persona|il suo ospite|chi)`),
		regexp.MustCompile(`(?i)(la persona che (viene a trovare|visita)|ospite).*\b(avvisat|informat|avvertit)`),
	},
	"pt": {
		regexp.MustCompile(`(?i)(para a equipe ligar|ligaremos para|a equipe (pode|vai) ligar)`),
		regexp.MustCompile(`(?i)\b(sms|mensagem de texto|torpedo)\b`),
		regexp.MustCompile(`(?i)(avisaremos|informaremos|notificaremos) (a pessoa|o seu anfitri|seu anfitri|quem)`),
		regexp.MustCompile(`(?i)(a pessoa que (vem visitar|visita)|anfitri).*\b(avisad|informad|notificad)`),
	},
}

func TestNothingPromisesWhatTheKioskDoesNotDo(t *testing.T) {
	files, err := fs.Glob(assets.Translations, "translations/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("translations: %v", err)
	}
	for _, name := range files {
		lang := strings.TrimSuffix(strings.TrimPrefix(name, "translations/"), ".json")
		data, err := assets.Translations.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		texts := map[string]string{} // plural forms joined
		for k, v := range raw {
			var one string
			if json.Unmarshal(v, &one) == nil {
				texts[k] = one
				continue
			}
			forms := map[string]string{}
			if err := json.Unmarshal(v, &forms); err != nil {
				t.Fatalf("%s %q: %v", name, k, err)
			}
			for _, f := range forms {
				texts[k] += f + "\n"
			}
		}
		res, ok := promises[lang]
		if !ok {
			t.Errorf("%s: no promise patterns for %q; add them before the language ships", name, lang)
			continue
		}
		for key, text := range texts {
			for _, re := range res {
				if re.MatchString(text) {
					t.Errorf("%s %s promises what the kiosk does not do: %q", lang, key, text)
				}
			}
		}
	}
	// The lobby message templates staff publish in three taps.
	for _, line := range strings.Split(assets.Templates, "\n") {
		lang, text, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "text."), " = ")
		if !ok || !strings.HasPrefix(strings.TrimSpace(line), "text.") {
			continue
		}
		for _, re := range promises[lang] {
			if re.MatchString(text) {
				t.Errorf("template (%s) promises what the kiosk does not do: %s", lang, text)
			}
		}
	}
}
