"""Positive PII values for the labelled PII benchmark (bench/pii_quality.py).

Every generator returns (subtype, value, span_value, contexts, needs_context): `span_value` is the part of
`value` a detector must report (the whole value, or e.g. the address without its ":port"); `contexts` are
phrases that may precede it (in the languages where the format is used); `needs_context` marks formats that
are ambiguous without such a phrase (national numbers without trunk prefix, SSNs without dashes), which
the benchmark therefore always writes with one.
"""
import string

UP, LO, DG = string.ascii_uppercase, string.ascii_lowercase, string.digits
B64URL = UP + LO + DG + "-_"

PHONE_CTX = {
    "en": ["Tel:", "Tel.", "Phone:", "phone", "call", "Call us on", "Mobile:", "mob.", "Cell:", "Fax:", "contact", "ring", "WhatsApp", "T:", "Ph:", "Hotline:"],
    "de": ["Tel.:", "Telefon:", "Telefon", "Handy:", "Mobil:", "Rufnummer", "Fax:", "erreichbar unter", "Tel"],
    "fr": ["Tél. :", "Tél :", "téléphone", "Portable :", "Fax :", "appelez le", "Tel."],
    "es": ["Tel.:", "Teléfono:", "teléfono", "Móvil:", "llame al", "WhatsApp", "Cel."],
    "it": ["Tel.", "Telefono:", "Cellulare:", "cell.", "chiamare il", "Fax"],
    "nl": ["Tel.:", "Telefoon:", "Mobiel:", "bel", "GSM:", "Fax:"],
    "sv": ["Tel:", "Tfn:", "Mobil:", "Telefon:", "ring"],
    "no": ["Tlf:", "Tlf.", "Mobil:", "Telefon:"],
    "da": ["Tlf.:", "Tlf:", "Mobil:", "Telefon:"],
    "pl": ["Tel.:", "tel.", "Telefon:", "Kom.:", "komórka:"],
    "pt": ["Tel.:", "Telefone:", "Celular:", "WhatsApp:", "Fone:", "ligue"],
    "ja": ["電話:", "TEL:", "電話番号", "携帯:"],
    "ko": ["전화:", "휴대폰:", "연락처:", "Tel."],
    "zh": ["电话:", "手机:", "联系电话", "Tel:"],
}

# Country -> (language, [(format, needs_context)]). Format letters: X any digit, N 2-9, M 1-9; other
# characters are literal. Formats follow each plan's national and international writing conventions.
PHONE_FORMATS = {
    "US": ("en", [("(NXX) NXX-XXXX", 0), ("NXX-NXX-XXXX", 0), ("NXX.NXX.XXXX", 0), ("1-NXX-NXX-XXXX", 0), ("+1 NXX NXX XXXX", 0),
                  ("+1-NXX-NXX-XXXX", 0), ("+1NXXNXXXXXX", 0), ("NXXNXXXXXX", 1)]),
    "CA": ("en", [("(416) NXX-XXXX", 0), ("604-NXX-XXXX", 0), ("+1 514 NXX XXXX", 0)]),
    "GB": ("en", [("020 7XXX XXXX", 0), ("020 3XXX XXXX", 0), ("0161 NXX XXXX", 0), ("01632 NXXXXX", 0), ("07700 9XXXXX", 0),
                  ("07MXX XXXXXX", 0), ("0800 XXX XXXX", 0), ("+44 20 7XXX XXXX", 0), ("+44 7MXX XXXXXX", 0),
                  ("+44 (0)20 7XXX XXXX", 0), ("0044 20 7XXX XXXX", 0), ("07MXXXXXXXX", 1)]),
    "IE": ("en", [("01 NXX XXXX", 0), ("087 XXX XXXX", 0), ("085 XXX XXXX", 0), ("021 NXX XXXX", 0), ("+353 1 NXX XXXX", 0),
                  ("+353 86 XXX XXXX", 0), ("+353 (0)87 XXX XXXX", 0)]),
    "FR": ("fr", [("01 XX XX XX XX", 0), ("04 XX XX XX XX", 0), ("06 XX XX XX XX", 0), ("07 XX XX XX XX", 0), ("09.XX.XX.XX.XX", 0),
                  ("06.XX.XX.XX.XX", 0), ("+33 1 XX XX XX XX", 0), ("+33 6 XX XX XX XX", 0), ("+33 (0)6 XX XX XX XX", 0),
                  ("+336XXXXXXXX", 0), ("0033 1 XX XX XX XX", 0), ("06XXXXXXXX", 1)]),
    "DE": ("de", [("030 NXXXXXXX", 0), ("089 NXXXXXX", 0), ("0171 NXXXXXX", 0), ("0151 NXXXXXXX", 0), ("06221 NXXXXX", 0),
                  ("030/NXXXXXXX", 0), ("040-NXXXXXXX", 0), ("0171 NXX XXXX", 0), ("+49 30 NXXXXXXX", 0), ("+49 171 NXXXXXX", 0),
                  ("+49 (0)89 NXXXXXX", 0), ("+49 151 NXXXXXXX", 0), ("0049 30 NXXXXXXX", 0), ("0171NXXXXXX", 1)]),
    "ES": ("es", [("91X XXX XXX", 1), ("6XX XXX XXX", 1), ("6XX XX XX XX", 1), ("91 XXX XX XX", 1), ("+34 6XX XXX XXX", 0),
                  ("+34 91X XX XX XX", 0), ("+34 91 XXX XX XX", 0), ("0034 6XX XXX XXX", 0)]),
    "IT": ("it", [("06 XXXX XXXX", 0), ("02 XXXXXXXX", 0), ("011 XXX XXXX", 0), ("3XX XXX XXXX", 1), ("3XX XXXXXXX", 1),
                  ("+39 06 XXXX XXXX", 0), ("+39 3XX XXX XXXX", 0), ("+39 02 XXXXXXXX", 0)]),
    "NL": ("nl", [("020 XXX XXXX", 0), ("06-XXXXXXXX", 0), ("06 XX XX XX XX", 0), ("010-NXXXXXX", 0), ("0512 XXXXXX", 0),
                  ("+31 20 XXX XXXX", 0), ("+31 6 XXXXXXXX", 0), ("+31 (0)6 XXXXXXXX", 0), ("06XXXXXXXX", 1)]),
    "BE": ("nl", [("02 XXX XX XX", 0), ("0470 XX XX XX", 0), ("0495 XX XX XX", 0), ("09 XXX XX XX", 0), ("071 XX XX XX", 0),
                  ("+32 2 XXX XX XX", 0), ("+32 470 XX XX XX", 0)]),
    "CH": ("de", [("044 XXX XX XX", 0), ("079 XXX XX XX", 0), ("031 XXX XX XX", 0), ("+41 44 XXX XX XX", 0), ("+41 79 XXX XX XX", 0),
                  ("0041 44 XXX XX XX", 0)]),
    "AT": ("de", [("01 NXXXXXX", 0), ("0664 NXXXXXX", 0), ("0316 NXXXXX", 0), ("+43 1 NXXXXXX", 0), ("+43 664 NXXXXXX", 0),
                  ("+43 (0)664 NXXXXXX", 0)]),
    "SE": ("sv", [("08-XXX XXX XX", 0), ("070-XXX XX XX", 0), ("031-XX XX XX", 0), ("08 XXX XXX XX", 0), ("+46 8 XXX XXX XX", 0),
                  ("+46 70 XXX XX XX", 0), ("070XXXXXXX", 1)]),
    "NO": ("no", [("22 XX XX XX", 1), ("4XX XX XXX", 1), ("9XX XX XXX", 1), ("+47 22 XX XX XX", 0), ("+47 4XX XX XXX", 0),
                  ("+47 9XXXXXXX", 0)]),
    "DK": ("da", [("32 XX XX XX", 1), ("2X XX XX XX", 1), ("3XXX XXXX", 1), ("+45 32 XX XX XX", 0), ("+45 2X XX XX XX", 0)]),
    "PL": ("pl", [("12 XXX XX XX", 1), ("601 XXX XXX", 1), ("512 XXX XXX", 1), ("+48 12 XXX XX XX", 0), ("+48 601 XXX XXX", 0),
                  ("+48 512-XXX-XXX", 0)]),
    "AU": ("en", [("(02) 9XXX XXXX", 0), ("(03) 9XXX XXXX", 0), ("02 9XXX XXXX", 0), ("04XX XXX XXX", 0), ("+61 2 9XXX XXXX", 0),
                  ("+61 4XX XXX XXX", 0), ("04XXXXXXXX", 1)]),
    "NZ": ("en", [("09 NXX XXXX", 0), ("021 XXX XXXX", 0), ("027 XXX XXXX", 0), ("03 NXX XXXX", 0), ("+64 9 NXX XXXX", 0),
                  ("+64 21 XXX XXXX", 0)]),
    "IN": ("en", [("9XXXX XXXXX", 1), ("8XXXX XXXXX", 1), ("09XXXX XXXXX", 0), ("011 2XXX XXXX", 0), ("022-2XXXXXXX", 0),
                  ("+91 9XXXX XXXXX", 0), ("+91-9XXXX-XXXXX", 0), ("+91 11 2XXX XXXX", 0), ("+919XXXXXXXXX", 0)]),
    "JP": ("ja", [("03-XXXX-XXXX", 0), ("090-XXXX-XXXX", 0), ("080-XXXX-XXXX", 0), ("06-XXXX-XXXX", 0), ("011-NXX-XXXX", 0),
                  ("0120-XXX-XXX", 0), ("+81 3-XXXX-XXXX", 0), ("+81 90-XXXX-XXXX", 0), ("+81 3 XXXX XXXX", 0)]),
    "KR": ("ko", [("010-XXXX-XXXX", 0), ("02-NXX-XXXX", 0), ("02-NXXX-XXXX", 0), ("031-NXX-XXXX", 0), ("+82 10-XXXX-XXXX", 0),
                  ("+82 2-NXX-XXXX", 0), ("+82 10 XXXX XXXX", 0)]),
    "CN": ("zh", [("138 XXXX XXXX", 1), ("13XXXXXXXXX", 1), ("010-NXXXXXXX", 0), ("021-NXXXXXXX", 0), ("0755-NXXXXXXX", 0),
                  ("+86 138 XXXX XXXX", 0), ("+86 10 NXXX XXXX", 0), ("+86 13XXXXXXXXX", 0)]),
    "BR": ("pt", [("(11) 9XXXX-XXXX", 0), ("(21) 3XXX-XXXX", 0), ("(11) 9XXXX XXXX", 0), ("11 9XXXX-XXXX", 1), ("+55 11 9XXXX-XXXX", 0),
                  ("+55 21 3XXX XXXX", 0), ("+55 (11) 9XXXX-XXXX", 0)]),
    "MX": ("es", [("55 XXXX XXXX", 1), ("(55) XXXX XXXX", 0), ("33 XXXX XXXX", 1), ("+52 55 XXXX XXXX", 0), ("+52 33 XXXX XXXX", 0)]),
    "ZA": ("en", [("011 NXX XXXX", 0), ("082 XXX XXXX", 0), ("021 NXX XXXX", 0), ("+27 11 NXX XXXX", 0), ("+27 82 XXX XXXX", 0)]),
}


def fill(rng, fmt):
    out = []
    for c in fmt:
        out.append(rng.choice(DG) if c == "X" else rng.choice("23456789") if c == "N" else rng.choice("123456789") if c == "M" else c)
    return "".join(out)


def phone(rng):
    cc = rng.choice(sorted(PHONE_FORMATS))
    lang, fmts = PHONE_FORMATS[cc]
    fmt, needs = rng.choice(fmts)
    kind = "intl" if fmt.startswith("+") or fmt.startswith("00") else "national"
    v = fill(rng, fmt)
    return (f"{cc}_{kind}", v, v, PHONE_CTX[lang] + PHONE_CTX["en"][:4], bool(needs))


def email(rng):
    first = rng.choice(["anna", "li", "mohammed", "sofia", "jean-luc", "o.connor", "kim", "priya", "lars", "zoe", "j", "wei"])
    last = rng.choice(["smith", "mueller", "dupont", "garcia", "rossi", "tanaka", "nguyen", "kowalski", "silva", "sato"])
    local = rng.choice([f"{first}.{last}", f"{first}{rng.randint(1, 99)}", f"{first}_{last}", f"{first}+{rng.choice(['news', 'spam', 'x'])}",
                        f"{first[0]}{last}", f"{last}.{first}", "info", "support", "contact", f"{first.upper()}.{last.capitalize()}"])
    dom = rng.choice(["example.com", "mail.example.org", "uni-bonn.de", "corp.co.uk", "startup.io", "gmx.at", "orange.fr", "libero.it",
                      "web.de", "yahoo.co.jp", "naver.com", "qq.com", "ufrj.br", "sub.dept.example.edu", "example.museum", "x.ai"])
    kind, v = rng.choice([("plain", f"{local}@{dom}"), ("angle", f"<{local}@{dom}>"), ("mailto", f"mailto:{local}@{dom}")])
    span = f"{local}@{dom}"
    return (kind, v, span, ["e-mail:", "email", "write to", "Mail:", "contact", "courriel :", "E-Mail:", "邮箱:"], False)


def octet(rng, lo=0, hi=255):
    return str(rng.randint(lo, hi))


def ipv4(rng):
    kind = rng.choice(["private", "public", "port", "url", "log"])
    if kind == "private":
        a = rng.choice([f"10.{octet(rng)}.{octet(rng)}.{octet(rng, 1, 254)}", f"192.168.{octet(rng)}.{octet(rng, 1, 254)}",
                        f"172.{rng.randint(16, 31)}.{octet(rng)}.{octet(rng, 1, 254)}"])
    else:
        first = rng.choice([x for x in range(1, 224) if x not in (10, 127)])
        a = f"{first}.{octet(rng)}.{octet(rng)}.{octet(rng, 1, 254)}"
    v = {"port": f"{a}:{rng.choice([22, 80, 443, 8080, 5432])}", "url": f"http://{a}/{rng.choice(['admin', 'index.html', 'api/v1'])}",
         "log": f"{a} - - [05/Dec/2026:10:3{rng.randint(0, 9)}:00 +0000]"}.get(kind, a)
    return (kind, v, a, ["IP", "from", "host", "server", "address", "IP address:", "ping", "connect to", "client", "Adresse", "IP:"], False)


def ipv6(rng):
    g = [format(rng.randint(0, 65535), "x") for _ in range(8)]
    kind = rng.choice(["full", "compressed", "linklocal", "mapped", "upper", "bracket"])
    a = {"full": ":".join(g), "compressed": f"2001:db8:{g[2]}::{g[6]}:{g[7]}", "linklocal": f"fe80::{g[4]}:{g[5]}:{g[6]}:{g[7]}",
         "mapped": f"::ffff:{rng.randint(11, 223)}.{octet(rng)}.{octet(rng)}.{octet(rng, 1, 254)}", "upper": ":".join(g).upper(),
         "bracket": f"2a00:{g[1]}:{g[2]}::{g[7]}"}[kind]
    v = {"bracket": f"[{a}]:443", "linklocal": a + rng.choice(["", "%eth0"])}.get(kind, a)
    return (kind, v, a, ["IPv6", "address", "host", "from", "inet6", "IPv6-Adresse:"], False)


def luhn_complete(rng, prefix, n):
    d = [int(c) for c in prefix] + [rng.randint(0, 9) for _ in range(n - 1 - len(prefix))]
    s = 0
    for k, x in enumerate(reversed(d)):
        y = x * 2 if k % 2 == 0 else x
        s += y - 9 if y > 9 else y
    return "".join(map(str, d + [(10 - s % 10) % 10]))


def card(rng):
    kind, pre, n = rng.choice([("visa", "4", 16), ("mastercard", str(rng.randint(51, 55)), 16), ("mastercard2", str(rng.randint(2221, 2720)), 16),
                               ("amex", rng.choice(["34", "37"]), 15), ("discover", rng.choice(["6011", "65"]), 16),
                               ("jcb", str(rng.randint(3528, 3589)), 16), ("diners", "36", 14), ("unionpay", "62", 16)])
    num = luhn_complete(rng, pre, n)
    if n == 15:
        v = rng.choice([num, f"{num[:4]} {num[4:10]} {num[10:]}", f"{num[:4]}-{num[4:10]}-{num[10:]}"])
    elif n == 14:
        v = rng.choice([num, f"{num[:4]} {num[4:10]} {num[10:]}"])
    else:
        sep = rng.choice(["", " ", "-"])
        v = sep.join(num[k:k + 4] for k in range(0, 16, 4))
    return (kind, v, v, ["card", "Visa", "credit card", "card number:", "Kreditkarte", "carte bancaire", "tarjeta", "paid with"], False)


def ssn(rng):
    area = rng.choice([a for a in range(1, 900) if a != 666])
    g, s = rng.randint(1, 99), rng.randint(1, 9999)
    kind = rng.choice(["dashed", "spaced", "bare"])
    sep = {"dashed": "-", "spaced": " ", "bare": ""}[kind]
    v = f"{area:03d}{sep}{g:02d}{sep}{s:04d}"
    return (kind, v, v, ["SSN", "SSN:", "Social Security Number", "social security no.", "SS#", "SSN #", "his social security number is"],
            kind != "dashed")


IBAN_BBAN = {  # country: BBAN pattern (n digit, a upper letter, c upper alnum)
    "DE": "n" * 18, "GB": "aaaa" + "n" * 14, "FR": "n" * 10 + "c" * 11 + "nn", "NL": "aaaa" + "n" * 10, "ES": "n" * 20,
    "IT": "a" + "n" * 10 + "c" * 12, "BE": "n" * 12, "CH": "n" * 5 + "c" * 12, "AT": "n" * 16, "SE": "n" * 20, "NO": "n" * 11,
    "DK": "n" * 14, "PL": "n" * 24, "IE": "aaaa" + "n" * 14, "PT": "n" * 21, "FI": "n" * 14, "LU": "nnn" + "c" * 13,
}


def iban(rng):
    cc = rng.choice(sorted(IBAN_BBAN))
    bban = "".join(rng.choice(DG) if p == "n" else rng.choice(UP) if p == "a" else rng.choice(UP + DG) for p in IBAN_BBAN[cc])
    num = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    compact = f"{cc}{98 - num % 97:02d}{bban}"
    grouped = " ".join(compact[k:k + 4] for k in range(0, len(compact), 4))
    kind, v = rng.choice([("compact", compact), ("grouped", grouped)])
    return (f"{cc}_{kind}", v, v, ["IBAN", "IBAN:", "account", "Konto", "compte", "cuenta", "rekening"], False)


def rand(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def api_key(rng):
    kind = rng.choice(["aws", "google", "github", "github_pat", "gitlab", "slack", "stripe", "openai", "huggingface", "npm",
                       "sendgrid", "py_assign", "env_assign", "yaml_assign", "json_assign", "js_assign", "aws_secret_env"])
    shaped = {
        "aws": lambda: "AKIA" + rand(rng, UP + "234567", 16), "google": lambda: "AIza" + rand(rng, B64URL, 35),
        "github": lambda: rng.choice(["ghp_", "gho_", "ghs_"]) + rand(rng, UP + LO + DG, 36),
        "github_pat": lambda: "github_pat_" + rand(rng, UP + LO + DG, 22) + "_" + rand(rng, UP + LO + DG, 59),
        "gitlab": lambda: "glpat-" + rand(rng, UP + LO + DG + "-_", 20),
        "slack": lambda: f"xoxb-{rand(rng, DG, 12)}-{rand(rng, DG, 13)}-{rand(rng, UP + LO + DG, 24)}",
        "stripe": lambda: rng.choice(["sk_live_", "sk_test_", "rk_live_"]) + rand(rng, UP + LO + DG, 24),
        "openai": lambda: rng.choice(["sk-", "sk-proj-"]) + rand(rng, UP + LO + DG, 48),
        "huggingface": lambda: "hf_" + rand(rng, UP + LO, 34),
        "npm": lambda: "npm_" + rand(rng, UP + LO + DG, 36),
        "sendgrid": lambda: "SG." + rand(rng, B64URL, 22) + "." + rand(rng, B64URL, 43),
    }
    if kind in shaped:
        v = shaped[kind]()
        return (kind, v, v, ["key", "token:", "export", "config", "Schlüssel", "clé"], False)
    val = rand(rng, UP + LO + DG, rng.randint(20, 40))
    snake = rng.choice(["api_key", "secret_key", "client_secret", "auth_token", "access_token", "db_password", "stripe_key", "private_token",
                        "openai_api_key", "webhook_secret", "refresh_token", "password"])
    camel = rng.choice(["apiKey", "stripeKey", "clientSecret", "authToken", "accessToken", "dbPassword", "secretKey", "mapsApiKey"])
    if kind == "aws_secret_env":
        val = rand(rng, UP + LO + DG + "+/", 40)
        v = f"export AWS_SECRET_ACCESS_KEY={val}"
    else:
        v = {"py_assign": f'{rng.choice([snake, snake.upper()])} = "{val}"', "env_assign": f"{snake.upper()}={val}", "yaml_assign": f"{snake}: {val}",
             "json_assign": f'"{rng.choice([snake, camel])}": "{val}"', "js_assign": f"const {camel} = '{val}';"}[kind]
    return (kind, v, val, ["config:", "settings", "# credentials", "in .env:", "code:"], False)


GENERATORS = {"EMAIL": email, "PHONE": phone, "IPV4": ipv4, "IPV6": ipv6, "CREDIT_CARD": card, "US_SSN": ssn, "IBAN": iban, "API_KEY": api_key}
SPINDLE_TYPE = {"EMAIL": "email", "PHONE": "phone", "IPV4": "ipv4", "IPV6": "ipv6", "CREDIT_CARD": "credit_card", "US_SSN": "ssn",
                "IBAN": "iban", "API_KEY": "secret"}
