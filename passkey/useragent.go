package passkey

import "strings"

// maxUserAgent bounds how much of a User-Agent header is read.
const maxUserAgent = 1024

// summarizeUserAgent returns the browser and operating system named by a
// User-Agent header, in the spec's user_agent form
// "Chrome 131.0.0 / Mac OS X 10.15.7": the browser's version has three
// components, the system's as many as the header gives. An unrecognised
// browser or system is "Other"; an empty header gives "". The summary is
// made of fixed names and digits only, so it never echoes other header
// content. It is informational: no security decision rests on it.
func summarizeUserAgent(ua string) string {
	if ua == "" {
		return ""
	}
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	return summarizeBrowser(ua) + " / " + summarizeOS(ua)
}

// browserTokens are checked in order: Chromium-based browsers also send
// "Chrome/" and "Safari/", Chrome on iOS sends "Safari/" too.
var browserTokens = []struct{ token, name string }{
	{"EdgA/", "Edge"}, {"EdgiOS/", "Edge"}, {"Edg/", "Edge"},
	{"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
	{"FxiOS/", "Firefox"}, {"Firefox/", "Firefox"},
	{"CriOS/", "Chrome"}, {"HeadlessChrome/", "HeadlessChrome"},
	{"Chromium/", "Chromium"}, {"Chrome/", "Chrome"},
}

func summarizeBrowser(ua string) string {
	for _, b := range browserTokens {
		if i := strings.Index(ua, b.token); i >= 0 {
			return b.name + " " + version(ua[i+len(b.token):], '.', 3, true)
		}
	}
	if strings.Contains(ua, "Safari/") {
		if i := strings.Index(ua, "Version/"); i >= 0 {
			return "Safari " + version(ua[i+len("Version/"):], '.', 3, true)
		}
	}
	return "Other"
}

func summarizeOS(ua string) string {
	switch {
	case strings.Contains(ua, "Windows NT "):
		v := version(ua[strings.Index(ua, "Windows NT ")+len("Windows NT "):], '.', 2, false)
		switch v {
		case "10.0":
			return "Windows 10"
		case "6.3":
			return "Windows 8.1"
		case "6.2":
			return "Windows 8"
		case "6.1":
			return "Windows 7"
		}
		return "Windows"
	case strings.Contains(ua, "iPhone OS "):
		return "iOS " + version(ua[strings.Index(ua, "iPhone OS ")+len("iPhone OS "):], '_', 3, false)
	case strings.Contains(ua, "iPad") && strings.Contains(ua, "CPU OS "):
		return "iOS " + version(ua[strings.Index(ua, "CPU OS ")+len("CPU OS "):], '_', 3, false)
	case strings.Contains(ua, "Mac OS X "):
		return "Mac OS X " + version(ua[strings.Index(ua, "Mac OS X ")+len("Mac OS X "):], '_', 3, false)
	case strings.Contains(ua, "Android "):
		return "Android " + version(ua[strings.Index(ua, "Android ")+len("Android "):], '.', 3, false)
	case strings.Contains(ua, "CrOS"):
		return "Chrome OS"
	case strings.Contains(ua, "Linux"):
		return "Linux"
	}
	return "Other"
}

// version reads up to n numeric components separated by sep at the start
// of s and writes them dot-separated; pad fills missing components with 0.
// Each component is at most 8 digits. No digits at all gives "0".
func version(s string, sep byte, n int, pad bool) string {
	var parts []string
	for len(parts) < n {
		j := 0
		for j < len(s) && j < 8 && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == 0 {
			break
		}
		parts = append(parts, s[:j])
		s = s[j:]
		if len(s) == 0 || s[0] != sep {
			break
		}
		s = s[1:]
	}
	if len(parts) == 0 {
		parts = append(parts, "0")
	}
	for pad && len(parts) < n {
		parts = append(parts, "0")
	}
	return strings.Join(parts, ".")
}
