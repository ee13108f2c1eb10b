"""Look-alikes for the labelled PII benchmark (bench/pii_quality.py): strings shaped like PII that are not
PII. Each generator returns (decoy_class, text); a detector must report nothing in them.
"""
import string

from pii_formats import luhn_complete, rand, UP, LO, DG

HEX = "0123456789abcdef"


def n(rng, lo, hi):
    return rng.randint(lo, hi)


def q(rng):  # a dotted quad whose octets would pass as an address
    return f"{n(rng, 1, 223)}.{n(rng, 0, 255)}.{n(rng, 0, 255)}.{n(rng, 0, 255)}"


def version(rng):
    v = q(rng)
    pkg = rng.choice(["numpy", "requests", "django", "openssl", "nginx", "python-dateutil", "libssl-dev", "urllib3", "Chrome", "Firefox", "kernel"])
    return rng.choice([
        f"version {v}", f"Version: {v}", f"v{v}", f"V{v}", f"{pkg} {v}", f"{pkg}=={v}", f"{pkg}>={v}", f"{pkg}~={v}",
        f"Depends: {pkg} (>= {v})", f"requires {pkg} {v}", f"{v} or later is required", f"upgrade to {v}",
        f"dependencies: foo {v}, bar {q(rng)}", f"Requires: {pkg} >= {v}", f"release {v}", f"build {v}",
        f"{pkg}/{v}", f"the {v} release", f"firmware {v}", f"pip install {pkg}=={v}", f"{pkg} version {v}",
    ])


def oid(rng):
    return rng.choice([f"OID 1.3.6.1.4.1.{n(rng, 1, 60000)}", f"2.5.4.{n(rng, 3, 46)}", f"1.2.840.113549.1.1.{n(rng, 1, 14)}",
                       f"oid: 2.16.840.1.101.3.4.2.{n(rng, 1, 3)}", f"1.3.6.1.2.1.{n(rng, 1, 9)}.{n(rng, 1, 9)}", f"OID {n(rng, 0, 2)}.{n(rng, 0, 39)}.{n(rng, 1, 255)}.{n(rng, 1, 255)}"])


def section(rng):
    s = f"{n(rng, 1, 20)}.{n(rng, 1, 12)}.{n(rng, 1, 9)}.{n(rng, 1, 9)}"
    return rng.choice([f"Section {s}", f"§ {s}", f"§{s}", f"clause {s}", f"Article {s}", f"Chapter {s}", f"Abschnitt {s}", f"Table {s}"])


def date(rng):
    y, m, d, h, mi, s = n(rng, 1950, 2030), n(rng, 1, 12), n(rng, 1, 28), n(rng, 0, 23), n(rng, 0, 59), n(rng, 0, 59)
    return rng.choice([f"{y}-{m:02d}-{d:02d}", f"{d:02d}.{m:02d}.{y}", f"{m:02d}/{d:02d}/{y}", f"{y}/{m:02d}/{d:02d}", f"{y}.{m:02d}.{d:02d}",
                       f"{y}-{m:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z", f"{y}-{m:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}.{n(rng, 0, 999):03d}",
                       f"{h:02d}:{mi:02d}:{s:02d}", f"{d:02d}.{m:02d}.{y % 100:02d}", f"{y}{m:02d}{d:02d}", f"{n(rng, 1000000000, 1800000000)}",
                       f"{d:02d} {m:02d} {y}", f"{y} {m:02d} {d:02d} {h:02d}:{mi:02d}"])


def coordinate(rng):
    a, b = rng.uniform(-89, 89), rng.uniform(-179, 179)
    return rng.choice([f"{a:.4f}, {b:.4f}", f"{abs(a):.4f}° N, {abs(b):.4f}° E", f"{int(abs(a))}°{n(rng, 0, 59)}′{n(rng, 0, 59)}.{n(rng, 0, 9)}″N",
                       f"lat {a:.6f} lon {b:.6f}", f"({a:.5f}, {b:.5f})"])


def price(rng):
    x = n(rng, 1000, 99999999)
    de = f"{x:,}".replace(",", ".")
    return rng.choice([f"${x / 100:,.2f}", f"€ {de},{n(rng, 0, 99):02d}", f"{x:,}".replace(",", " ") + f",{n(rng, 0, 99):02d} €",
                       f"USD {x / 100:.2f}", f"¥{x:,}", f"R$ {de},{n(rng, 0, 99):02d}", f"{de},00 EUR", f"CHF {de}.–", f"£{de}"])


def serial(rng):
    return rng.choice([f"order #{rand(rng, DG, 3)}-{rand(rng, DG, 3)}-{rand(rng, DG, 4)}", f"Order No. 0{rand(rng, DG, 3)} {rand(rng, DG, 7)}",
                       f"Invoice {n(rng, 2000, 2030)}-{rand(rng, DG, 7)}", f"S/N: {rand(rng, UP + DG, 10)}", f"serial 0{rand(rng, DG, 3)} {rand(rng, DG, 4)} {rand(rng, DG, 2)}",
                       f"tracking 1Z{rand(rng, UP + DG, 16)}", f"ref. 0{rand(rng, DG, 2)} {rand(rng, DG, 7)}", f"PO {rand(rng, DG, 10)}",
                       f"ticket #{rand(rng, DG, 9)}", f"Bestellnummer: {rand(rng, DG, 10)}", f"SKU {rand(rng, DG, 3)}-{rand(rng, DG, 3)}-{rand(rng, DG, 3)}",
                       f"case {rand(rng, DG, 8)}", f"part no. {rand(rng, DG, 4)}-{rand(rng, DG, 4)}"])


def isbn(rng):
    core = "978" + rand(rng, DG, 9)
    s = sum(int(c) * (1 if k % 2 == 0 else 3) for k, c in enumerate(core))
    i13 = core + str((10 - s % 10) % 10)
    b = rand(rng, DG, 9)
    c10 = sum((10 - k) * int(c) for k, c in enumerate(b)) % 11
    i10 = b + ("X" if (11 - c10) % 11 == 10 else str((11 - c10) % 11))
    return rng.choice([f"ISBN {i13[:3]}-{i13[3]}-{i13[4:6]}-{i13[6:12]}-{i13[12]}", f"ISBN-13: {i13}", f"ISBN {i10}",
                       f"{i13[:3]}-{i13[3]}-{i13[4:7]}-{i13[7:12]}-{i13[12]}", f"ISBN 0-{i10[1:4]}-{i10[4:9]}-{i10[9]}", f"({i13})"])


def uuid_hash(rng):
    u = f"{rand(rng, HEX, 8)}-{rand(rng, HEX, 4)}-4{rand(rng, HEX, 3)}-a{rand(rng, HEX, 3)}-{rand(rng, HEX, 12)}"
    return rng.choice([u, u.upper(), f"md5 {rand(rng, HEX, 32)}", f"sha1 {rand(rng, HEX, 40)}", f"sha256:{rand(rng, HEX, 64)}",
                       f"commit {rand(rng, HEX, 40)}", f"({rand(rng, HEX, 7)})", f"{rand(rng, DG, 8)}-{rand(rng, DG, 4)}-4{rand(rng, DG, 3)}-8{rand(rng, DG, 3)}-{rand(rng, DG, 12)}"])


def code_ids(rng):
    h40, h64, u = rand(rng, HEX, 40), rand(rng, HEX, 64), f"{rand(rng, HEX, 8)}-{rand(rng, HEX, 4)}-{rand(rng, HEX, 4)}-{rand(rng, HEX, 4)}-{rand(rng, HEX, 12)}"
    b64 = rand(rng, UP + LO + DG, 32)
    return rng.choice([f'checksum = "{h64}"', f'"sha": "{h40}"', f'cache_key = "{h40}"', f'token_id = "{u}"', f'"etag": "{h40[:32]}"',
                       f'public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5{b64}"', f'password_hash = "$2b$12${rand(rng, UP + LO + DG + "./", 53)}"',
                       f'"integrity": "sha512-{b64}{b64}=="', f'next_page_token = "{b64}"', f'request_id: {u}', f'"key_id": "{b64[:20]}"',
                       f'session_key_hash = "{h64}"', f'clientId: "{b64}"', f'commit_sha = "{h40}"', f'tokenizer_hash = "{h64}"',
                       f'api_key = os.environ["API_KEY"]', f'token = get_token({rng.choice(["user", "ctx"])})', f'password = self.password_field',
                       f'max_tokens = {n(rng, 100000000, 999999999)}', f'"eos_token": "</s>"', f"secret_name: my-app-{rand(rng, LO, 8)}"])


def luhn_invalid(rng):
    pre, m = rng.choice([("4", 16), ("5" + str(n(rng, 1, 5)), 16), ("37", 15), ("6011", 16)])
    good = luhn_complete(rng, pre, m)
    bad = good[:-1] + str((int(good[-1]) + n(rng, 1, 9)) % 10)
    if m == 16:
        return rng.choice([bad, " ".join(bad[k:k + 4] for k in range(0, 16, 4)), "-".join(bad[k:k + 4] for k in range(0, 16, 4))])
    return rng.choice([bad, f"{bad[:4]} {bad[4:10]} {bad[10:]}"])


def invalid_ids(rng):  # invalid SSN ranges (even with context), bad IBAN check digits, too-short numbers
    return rng.choice([f"SSN 000-{n(rng, 10, 99)}-{n(rng, 1000, 9999)}", f"SSN: 666-{n(rng, 10, 99)}-{n(rng, 1000, 9999)}",
                       f"SSN {n(rng, 900, 999)}-{n(rng, 10, 99)}-{n(rng, 1000, 9999)}", f"SSN {n(rng, 100, 899)}-00-{n(rng, 1000, 9999)}",
                       f"SSN {n(rng, 100, 665)}-{n(rng, 10, 99)}-0000", f"social security {n(rng, 900, 999)} {n(rng, 10, 99)} {n(rng, 1000, 9999)}",
                       f"GB00WEST{rand(rng, DG, 14)}", f"DE00 {rand(rng, DG, 4)} {rand(rng, DG, 4)} {rand(rng, DG, 4)} {rand(rng, DG, 4)} {rand(rng, DG, 2)}",
                       f"call {n(rng, 100, 999)}-{n(rng, 10, 99)}", f"+{n(rng, 1, 9)} {n(rng, 10, 99)}", f"Tel. {n(rng, 10, 99)} {n(rng, 10, 99)}",
                       f"+44 20 {rand(rng, DG, 3)}", f"+49 30 {rand(rng, DG, 2)}"])


def misc(rng):
    return rng.choice([f"MAC {':'.join(rand(rng, '0123456789ABCDEF', 2) for _ in range(6))}", "std::vector<int>", f"ratio {n(rng, 1, 32)}:{n(rng, 1, 9)}",
                       f"icon@{n(rng, 2, 3)}x.png", "follow @spindle", "api_key=YOUR_API_KEY", "password: ********", "token = ${TOKEN}",
                       f"pi is 3.{rand(rng, DG, 14)}", f"population {n(rng, 100, 999)},{rand(rng, DG, 3)},{rand(rng, DG, 3)}",
                       f"between {n(rng, 1900, 1999)}-{n(rng, 2000, 2030)}", f"scores {n(rng, 10, 99)}.{n(rng, 10, 99)}.{n(rng, 10, 99)}"])


DECOYS = {"version": version, "oid": oid, "section": section, "date_time": date, "coordinate": coordinate, "price": price,
          "serial_order": serial, "isbn": isbn, "uuid_hash": uuid_hash, "code_ids": code_ids, "luhn_invalid": luhn_invalid,
          "invalid_ids": invalid_ids, "misc": misc}
