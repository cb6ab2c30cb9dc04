package mainserver

import (
	"net/http"
	"os"
	"strings"
)

// userLanguage is the short language code: the OS locale (the original asks
// Steam first; without Steam the OS decides), else the browser's.
func userLanguage(r *http.Request) string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v != "" && v != "C" && v != "POSIX" && !strings.HasPrefix(v, "C.") {
			return shortLanguage(v)
		}
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		return shortLanguage(strings.Split(al, ",")[0])
	}
	return "en"
}

// shortLanguage normalises "zh_CN.UTF-8", "ja-JP" … to zh, en, ja, ko or ru.
func shortLanguage(v string) string {
	v = strings.ToLower(v)
	for _, l := range []string{"zh", "ja", "ko", "ru", "en"} {
		if strings.HasPrefix(v, l) {
			return l
		}
	}
	return "en"
}

// fullLanguage is the i18n locale of a short code (zh → zh-CN).
func fullLanguage(short string) string {
	if short == "zh" {
		return "zh-CN"
	}
	return short
}
