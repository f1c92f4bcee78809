/* A streaming scanner for the sheet XML of .xlsx workbooks (SpreadsheetML).
 *
 * Why it exists: a national ICE release is a worksheet of a million rows and 65 columns
 * (2.6 GB of XML); the general readers build the whole sheet as cell objects and peak at
 * several GB. This scanner is fed the inflated XML in chunks that end on a row boundary and
 * appends every cell, as text, straight into Arrow string columns (offsets, data, validity)
 * that Python wraps without copying. Memory is bounded by the batch, not by the sheet.
 *
 * Every cell becomes text exactly as the project's reader contract says
 * (sources/readers.py: cell_to_text): shared and inline strings unescaped, whitespace-only
 * text as blank, booleans TRUE/FALSE, numbers as written (integral floats without ".0"),
 * and numbers styled as dates as ISO dates ("YYYY-MM-DD", or with " HH:MM:SS" when they
 * carry a time). Typing is left to the store.
 *
 * The parsing itself runs with the GIL released, so inflating the next chunk (zlib, in
 * another thread) overlaps with it on a second core.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <math.h>

typedef struct {
    char *p;
    Py_ssize_t len, cap;
} Buf;

static int buf_reserve(Buf *b, Py_ssize_t extra) {
    if (b->len + extra <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    char *p = realloc(b->p, (size_t)cap);
    if (!p) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_put(Buf *b, const char *s, Py_ssize_t n) {
    if (n == 0) return 0;  /* b->p may still be NULL: memcpy(NULL, s, 0) is undefined */
    if (buf_reserve(b, n)) return -1;
    memcpy(b->p + b->len, s, (size_t)n);
    b->len += n;
    return 0;
}

static void buf_free(Buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static const char *find(const char *s, const char *e, const char *needle, size_t n) {
    while (s < e) {
        const char *lt = memchr(s, needle[0], (size_t)(e - s));
        if (!lt || e - lt < (Py_ssize_t)n) return NULL;
        if (!memcmp(lt, needle, n)) return lt;
        s = lt + 1;
    }
    return NULL;
}

/* ---- limits ---------------------------------------------------------------------------
 * Workbooks come from outside: every number the file gives (row, column, shared-string and
 * style index, lengths) is checked before it is used, and what no spreadsheet program writes
 * is refused rather than read half. Excel's own limits where it has them. */
#define MAX_ROW 1048576LL            /* Excel's last row */
#define MAX_COL 16384                /* columns A..XFD */
#define MAX_CELL_BYTES (1 << 20)     /* one cell's text (Excel: 32,767 characters) */
#define MAX_ATTR_BYTES (64 << 10)    /* one attribute value */
#define MAX_TAG_BYTES (256 << 10)    /* one tag with its attributes */
#define MAX_DEPTH 48                 /* element nesting */
#define MAX_BATCH_TEXT (1LL << 28)   /* cell text held before take(): a few kilobytes of XML
                                        naming one long shared string again and again could
                                        otherwise grow a batch past memory and int32 offsets */
#define MAX_NAME 96                  /* element name */

/* ---- XML helpers -------------------------------------------------------------------- */

static int put_utf8(Buf *b, unsigned long cp) {
    char tmp[4];
    int n;
    if (cp < 0x80) { tmp[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { tmp[0] = (char)(0xC0 | (cp >> 6)); tmp[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        tmp[0] = (char)(0xE0 | (cp >> 12)); tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        tmp[0] = (char)(0xF0 | (cp >> 18)); tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); tmp[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    return buf_put(b, tmp, n);
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A character XML 1.0 allows in a document. */
static int xml_char(unsigned long cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF)
           || (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

/* One UTF-8 sequence at p (strict: no overlong forms, no surrogates); its length, or 0. */
static int utf8_char(const unsigned char *p, const unsigned char *e, unsigned long *cp) {
    unsigned char c = p[0];
    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xC2 && c <= 0xDF) {
        if (e - p < 2 || (p[1] & 0xC0) != 0x80) return 0;
        *cp = ((c & 0x1Fu) << 6) | (p[1] & 0x3Fu);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (e - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        unsigned long v = ((c & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
        if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF)) return 0;
        *cp = v;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (e - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        unsigned long v = ((c & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6)
                          | (p[3] & 0x3Fu);
        if (v < 0x10000 || v > 0x10FFFF) return 0;
        *cp = v;
        return 4;
    }
    return 0;
}

/* The entity or character reference at s ('&'): its length through ';' and the code point
 * it stands for (*cp), or 0 when it is not one XML defines without a DTD. */
static Py_ssize_t entity(const char *s, const char *e, unsigned long *cp) {
    const char *semi = s + 1;
    while (semi < e && semi - s < 16 && *semi != ';') semi++;
    if (semi >= e || *semi != ';') return 0;
    Py_ssize_t n = semi - s - 1;
    const char *name = s + 1;
    if (n == 2 && !memcmp(name, "lt", 2)) *cp = '<';
    else if (n == 2 && !memcmp(name, "gt", 2)) *cp = '>';
    else if (n == 3 && !memcmp(name, "amp", 3)) *cp = '&';
    else if (n == 4 && !memcmp(name, "quot", 4)) *cp = '"';
    else if (n == 4 && !memcmp(name, "apos", 4)) *cp = '\'';
    else if (n >= 2 && name[0] == '#') {
        unsigned long v = 0;
        if (name[1] == 'x') {
            if (n < 3) return 0;
            for (const char *q = name + 2; q < semi; q++) {
                int h = hexval(*q);
                if (h < 0 || v > 0x10FFFF) return 0;
                v = v * 16 + (unsigned long)h;
            }
        } else {
            for (const char *q = name + 1; q < semi; q++) {
                if (*q < '0' || *q > '9' || v > 0x10FFFF) return 0;
                v = v * 10 + (unsigned long)(*q - '0');
            }
        }
        if (!xml_char(v)) return 0;
        *cp = v;
    } else {
        return 0;
    }
    return semi + 1 - s;
}

/* Append XML text, resolving entities and OOXML's _xHHHH_ escapes (a surrogate pair as two
 * escapes is one character). 0, -1 out of memory, -2 a lone surrogate escape. The text was
 * checked (wf_feed) before it gets here. */
static int put_text(Buf *b, const char *s, const char *e) {
    if (buf_reserve(b, e - s)) return -1;
    while (s < e) {
        const char *amp = s;
        while (amp < e && *amp != '&' && *amp != '_') amp++;
        if (buf_put(b, s, amp - s)) return -1;
        if (amp >= e) break;
        s = amp;
        if (*s == '_') {
            if (e - s >= 7 && s[1] == 'x' && s[6] == '_' && hexval(s[2]) >= 0 && hexval(s[3]) >= 0
                && hexval(s[4]) >= 0 && hexval(s[5]) >= 0) {
                unsigned long cp = (unsigned long)((hexval(s[2]) << 12) | (hexval(s[3]) << 8)
                                                   | (hexval(s[4]) << 4) | hexval(s[5]));
                s += 7;
                if (cp >= 0xDC00 && cp <= 0xDFFF) return -2;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned long lo;
                    if (!(e - s >= 7 && s[0] == '_' && s[1] == 'x' && s[6] == '_'
                          && hexval(s[2]) >= 0 && hexval(s[3]) >= 0 && hexval(s[4]) >= 0
                          && hexval(s[5]) >= 0)) return -2;
                    lo = (unsigned long)((hexval(s[2]) << 12) | (hexval(s[3]) << 8)
                                         | (hexval(s[4]) << 4) | hexval(s[5]));
                    if (lo < 0xDC00 || lo > 0xDFFF) return -2;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s += 7;
                }
                if (put_utf8(b, cp)) return -1;
            } else {
                if (buf_put(b, s, 1)) return -1;
                s++;
            }
            continue;
        }
        unsigned long cp;
        Py_ssize_t n = entity(s, e, &cp);
        if (!n) { if (buf_put(b, s, 1)) return -1; s++; continue; }  /* checked before: unreachable */
        if (put_utf8(b, cp)) return -1;
        s += n;
    }
    return 0;
}

/* ---- well-formedness ------------------------------------------------------------------
 * Every byte of a part is checked as XML 1.0 before its cells are used: UTF-8, characters XML
 * allows, entities it defines (no DTD: a DOCTYPE, and so entity expansion and external
 * entities, is refused), tags closed in order, one root, bounded nesting and lengths. The
 * check is fed the part in pieces that end on a tag boundary and carries its element stack
 * from one to the next. */
typedef struct {
    int depth;
    int root_open, root_done;
    int started;
    unsigned char len[MAX_DEPTH];
    char name[MAX_DEPTH][MAX_NAME];
    const char *pos;     /* checked up to here in the current piece */
    const char *fail;
} Wf;

static int ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Byte classes, so the check costs a table look-up per byte: PLAIN is ASCII character data
 * needing no further look (not '&', '<', a control character), NAME a byte of a name. */
#define C_PLAIN 1
#define C_NAME 2
static unsigned char byte_class[256];

static void init_byte_classes(void) {
    for (int c = 0; c < 256; c++) {
        unsigned char k = 0;
        if (c >= 0x20 && c < 0x80 && c != '&' && c != '<') k |= C_PLAIN;
        if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == ':' || c == '_' || c == '-' || c == '.') k |= C_NAME;
        byte_class[c] = k;
    }
}

static int name_char(unsigned char c) { return byte_class[c] & C_NAME; }

/* Character data (text or an attribute value) in [s, e): 0 or -1 with w->fail. */
static int wf_chars(Wf *w, const char *s, const char *e, int text) {
    const unsigned char *p = (const unsigned char *)s, *end = (const unsigned char *)e;
    int outside = text && w->depth == 0;
    while (p < end) {
        if (!outside) {  /* the common case: a run of plain bytes */
            while (p < end && (byte_class[*p] & C_PLAIN)) p++;
            if (p >= end) break;
        }
        unsigned char c = *p;
        if (byte_class[c] & C_PLAIN) {
            if (text && w->depth == 0 && c != ' ') { w->fail = "text outside the root element"; return -1; }
            p++;
            continue;
        }
        if (c == '<') { w->fail = "a '<' inside an attribute value"; return -1; }
        if (c == '&') {
            unsigned long cp;
            Py_ssize_t n = entity((const char *)p, e, &cp);
            if (!n) { w->fail = "an entity XML does not define (no DTD is read)"; return -1; }
            if (text && w->depth == 0) { w->fail = "text outside the root element"; return -1; }
            p += n;
            continue;
        }
        unsigned long cp;
        int n = utf8_char(p, end, &cp);
        if (!n) { w->fail = "bytes that are not UTF-8"; return -1; }
        if (!xml_char(cp)) { w->fail = "a control character XML does not allow"; return -1; }
        if (text && w->depth == 0 && !ws((char)c)) {
            if (!(cp == 0xFEFF && !w->started && (const char *)p == s)) {
                w->fail = "text outside the root element"; return -1;
            }
        }
        p += n;
    }
    return 0;
}

/* Check [w->pos, e): e must be a tag boundary. 0, or -1 with w->fail. */
static int wf_feed(Wf *w, const char *e) {
    const char *s = w->pos;
    if (!s || s >= e) return 0;
    while (s < e) {
        const char *lt = memchr(s, '<', (size_t)(e - s));
        const char *text_end = lt ? lt : e;
        if (text_end > s && wf_chars(w, s, text_end, 1)) { w->pos = s; return -1; }
        w->started = 1;
        if (!lt) { s = e; break; }
        if (e - lt < 2) { w->fail = "a tag cut off"; return -1; }
        if (lt[1] == '?') {
            const char *end = find(lt + 2, e, "?>", 2);
            if (!end) { w->fail = "a processing instruction cut off"; return -1; }
            if (w->root_open || w->root_done) { w->fail = "a processing instruction in the content"; return -1; }
            if (wf_chars(w, lt + 2, end, 0)) return -1;
            s = end + 2;
            continue;
        }
        if (lt[1] == '!') {
            if (e - lt >= 4 && !memcmp(lt, "<!--", 4)) {
                const char *end = find(lt + 4, e, "-->", 3);
                if (!end) { w->fail = "a comment cut off"; return -1; }
                if (w->depth >= 2) { w->fail = "a comment among the cells"; return -1; }
                if (wf_chars(w, lt + 4, end, 0)) return -1;
                s = end + 3;
                continue;
            }
            if (e - lt >= 9 && !memcmp(lt, "<![CDATA[", 9)) {
                w->fail = "a CDATA section (spreadsheet programs write none)";
            } else {
                w->fail = "a DOCTYPE or declaration (entities are not expanded)";
            }
            return -1;
        }
        int closing = lt[1] == '/';
        const char *q = lt + 1 + closing;
        const char *nm = q;
        while (q < e && name_char((unsigned char)*q)) q++;
        Py_ssize_t nlen = q - nm;
        if (nlen == 0 || nlen >= MAX_NAME) { w->fail = nlen ? "an element name too long" : "a '<' that opens no tag"; return -1; }
        if (closing) {
            while (q < e && ws(*q)) q++;
            if (q >= e || *q != '>') { w->fail = "an end tag cut off"; return -1; }
            if (w->depth == 0) { w->fail = "an end tag that closes nothing"; return -1; }
            int top = w->depth - 1;
            if (w->len[top] != nlen || memcmp(w->name[top], nm, (size_t)nlen)) {
                w->fail = "an end tag that does not match the open element"; return -1;
            }
            w->depth--;
            if (w->depth == 0) { w->root_open = 0; w->root_done = 1; }
            s = q + 1;
            continue;
        }
        /* attributes */
        int selfclosing = 0;
        for (;;) {
            const char *before = q;
            while (q < e && ws(*q)) q++;
            if (q >= e) { w->fail = "a tag cut off"; return -1; }
            if (q - lt > MAX_TAG_BYTES) { w->fail = "a tag longer than 256 KiB"; return -1; }
            if (*q == '>') break;
            if (*q == '/') {
                if (e - q < 2 || q[1] != '>') { w->fail = "a '/' inside a tag"; return -1; }
                selfclosing = 1; q++;
                break;
            }
            if (q == before) { w->fail = "attributes not separated by space"; return -1; }
            const char *an = q;
            while (q < e && name_char((unsigned char)*q)) q++;
            if (q == an) { w->fail = "a malformed attribute"; return -1; }
            while (q < e && ws(*q)) q++;
            if (q >= e || *q != '=') { w->fail = "an attribute without a value"; return -1; }
            q++;
            while (q < e && ws(*q)) q++;
            if (q >= e || (*q != '"' && *q != '\'')) { w->fail = "an attribute value without quotes"; return -1; }
            char quote = *q++;
            const char *vs = q;
            const char *ve = memchr(q, quote, (size_t)(e - q));
            if (!ve) { w->fail = "an attribute value cut off"; return -1; }
            if (ve - vs > MAX_ATTR_BYTES) { w->fail = "an attribute longer than 64 KiB"; return -1; }
            const char *plain = vs;
            while (plain < ve && (byte_class[(unsigned char)*plain] & C_PLAIN)) plain++;
            if (plain < ve && wf_chars(w, plain, ve, 0)) return -1;
            q = ve + 1;
        }
        if (w->root_done) { w->fail = "a second root element"; return -1; }
        if (!selfclosing) {
            if (w->depth >= MAX_DEPTH) { w->fail = "elements nested too deep"; return -1; }
            memcpy(w->name[w->depth], nm, (size_t)nlen);
            w->len[w->depth] = (unsigned char)nlen;
            w->depth++;
            w->root_open = 1;
        } else if (w->depth == 0) {
            w->root_done = 1;
        }
        s = q + 1;
    }
    w->pos = s;
    return 0;
}

/* At the end of a part: was it whole? */
static int wf_finish(Wf *w) {
    if (w->depth) { w->fail = "elements left open at the end (the part is cut off)"; return -1; }
    if (!w->root_done) { w->fail = "no root element"; return -1; }
    return 0;
}

/* Position of the '>' that closes the tag opened at s ('<'), honouring quoted values. */
static const char *tag_end(const char *s, const char *e) {
    char quote = 0;
    for (; s < e; s++) {
        if (quote) { if (*s == quote) quote = 0; }
        else if (*s == '"' || *s == '\'') quote = *s;
        else if (*s == '>') return s;
    }
    return NULL;
}

/* Is the tag at s ("<name...") exactly `name` (followed by space, '>' or '/')? */
static int tag_is(const char *s, const char *e, const char *name, size_t n) {
    if (e - s < (Py_ssize_t)n + 2) return 0;
    if (memcmp(s + 1, name, n)) return 0;
    char c = s[1 + n];
    return c == ' ' || c == '>' || c == '/' || c == '\t' || c == '\n' || c == '\r';
}

/* Find the value of attribute `name` inside the tag [s, gt). */
static int attr(const char *s, const char *gt, const char *name, size_t n,
                const char **v, const char **ve) {
    const char *q = s + 1;
    while (q < gt && *q != ' ' && *q != '\t' && *q != '\n' && *q != '\r') q++;  /* tag name */
    while (q < gt) {
        while (q < gt && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) q++;
        const char *an = q;
        while (q < gt && *q != '=' && *q != ' ' && *q != '/' && *q != '>') q++;
        const char *ane = q;
        while (q < gt && (*q == ' ' || *q == '\t')) q++;
        if (q >= gt || *q != '=') { if (q < gt) q++; continue; }
        q++;
        while (q < gt && (*q == ' ' || *q == '\t')) q++;
        if (q >= gt || (*q != '"' && *q != '\'')) return 0;
        char quote = *q++;
        const char *vs = q;
        while (q < gt && *q != quote) q++;
        if ((size_t)(ane - an) == n && !memcmp(an, name, n)) { *v = vs; *ve = q; return 1; }
        q++;
    }
    return 0;
}

/* The r, t and s attributes of a cell tag [s, gt), in one pass. */
typedef struct { const char *r, *re, *t, *te, *s, *se; } CellAttrs;

static void cell_attrs(const char *s, const char *gt, CellAttrs *a) {
    memset(a, 0, sizeof *a);
    const char *q = s + 2;  /* past "<c" */
    while (q < gt) {
        while (q < gt && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) q++;
        const char *an = q;
        while (q < gt && *q != '=' && *q != ' ' && *q != '/' && *q != '>') q++;
        Py_ssize_t n = q - an;
        while (q < gt && (*q == ' ' || *q == '\t')) q++;
        if (q >= gt || *q != '=') { if (q < gt) q++; continue; }
        q++;
        while (q < gt && (*q == ' ' || *q == '\t')) q++;
        if (q >= gt || (*q != '"' && *q != '\'')) return;
        char quote = *q++;
        const char *vs = q;
        const char *ve = memchr(q, quote, (size_t)(gt - q));
        if (!ve) return;
        if (n == 1) {
            if (*an == 'r') { a->r = vs; a->re = ve; }
            else if (*an == 't') { a->t = vs; a->te = ve; }
            else if (*an == 's') { a->s = vs; a->se = ve; }
        }
        q = ve + 1;
    }
}

/* Rich or plain string content (<is>/<si>): every <t> outside phonetic runs (<rPh>).
 * 0, -1 out of memory or cut off, -2 a lone surrogate escape. */
static int put_rich(Buf *b, const char *s, const char *e) {
    while (s < e) {
        const char *lt = memchr(s, '<', (size_t)(e - s));
        if (!lt) break;
        if (tag_is(lt, e, "rPh", 3)) {
            const char *gt = tag_end(lt, e);
            if (!gt) return -1;
            if (gt[-1] == '/') { s = gt + 1; continue; }
            const char *end = find(lt, e, "</rPh>", 6);
            if (!end) return -1;
            s = end + 6;
            continue;
        }
        const char *gt = tag_end(lt, e);
        if (!gt) return -1;
        if (tag_is(lt, e, "t", 1) && gt[-1] != '/') {
            const char *close = find(gt + 1, e, "</t>", 4);
            if (!close) return -1;
            int rc = put_text(b, gt + 1, close);
            if (rc) return rc;
            s = close + 4;
            continue;
        }
        s = gt + 1;
    }
    return 0;
}

/* ---- dates ---------------------------------------------------------------------------- */

/* Days since 1970-01-01 -> civil date (Howard Hinnant's algorithm). */
static void civil(long long z, long long *y, unsigned *m, unsigned *d) {
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long yy = (long long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

/* An Excel serial date as ISO text; 0 when the number is not a usable date. */
static int put_serial_date(Buf *b, double x, int date1904) {
    if (!(x >= 0) || x > 2958466.0) return 0;
    /* Whole milliseconds of the serial rounded as one number, as calamine (the fallback reader)
     * rounds them, so both readers store the same text for a time at a half millisecond. */
    long long total = llround(x * 86400000.0);
    long long days = total / 86400000LL;
    long long ms = total % 86400000LL;
    long long epoch;  /* days from 1970-01-01 to the serial's day 0 */
    if (date1904) epoch = -24107;              /* 1904-01-01 */
    else if (days < 60) epoch = -25568;        /* 1899-12-31: serial 1 is 1900-01-01 */
    else epoch = -25569;                       /* 1899-12-30: past Excel's phantom 1900-02-29 */
    char tmp[48];
    int n = 0;
    if (days == 0 && !date1904 && ms > 0) {
        /* a time of day alone */
    } else {
        long long y; unsigned m, d;
        civil(days + epoch, &y, &m, &d);
        if (y >= 0 && y <= 9999) {  /* always, for serials up to 2958466: digits by hand */
            tmp[0] = (char)('0' + y / 1000); tmp[1] = (char)('0' + y / 100 % 10);
            tmp[2] = (char)('0' + y / 10 % 10); tmp[3] = (char)('0' + y % 10);
            tmp[4] = '-'; tmp[5] = (char)('0' + m / 10); tmp[6] = (char)('0' + m % 10);
            tmp[7] = '-'; tmp[8] = (char)('0' + d / 10); tmp[9] = (char)('0' + d % 10);
            n = 10;
        } else {
            n = snprintf(tmp, sizeof tmp, "%04lld-%02u-%02u", y, m, d);
        }
        if (ms) tmp[n++] = ' ';
    }
    if (ms) {
        long long secs = ms / 1000, frac = ms % 1000;
        n += snprintf(tmp + n, sizeof tmp - (size_t)n, "%02lld:%02lld:%02lld",
                      secs / 3600, (secs / 60) % 60, secs % 60);
        if (frac) n += snprintf(tmp + n, sizeof tmp - (size_t)n, ".%03lld000", frac);
    }
    buf_put(b, tmp, n);
    return 1;
}

/* x as Python's repr(float) prints it, in C alone (the scanner runs without the GIL): the
 * shortest digits that read back as x, in exponent form when the decimal point would sit
 * more than 16 places right or 4 places left of the first digit, as repr() does. */
static int format_repr(double x, char *out, size_t cap) {
    char tmp[48];
    int prec;
    for (prec = 0; prec < 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec, x);
        if (strtod(tmp, NULL) == x) break;
    }
    const char *p = tmp;
    int neg = *p == '-';
    if (neg) p++;
    char digits[24];
    int nd = 0;
    for (; *p && *p != 'e' && nd < 20; p++) if (*p >= '0' && *p <= '9') digits[nd++] = *p;
    if (*p != 'e') return -1;
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    int decpt = exp10 + 1;
    char *o = out, *oe = out + cap - 1;
#define PUT(c) do { if (o >= oe) return -1; *o++ = (c); } while (0)
    if (neg) PUT('-');
    if (decpt <= -4 || decpt > 16) {
        PUT(digits[0]);
        if (nd > 1) { PUT('.'); for (int i = 1; i < nd; i++) PUT(digits[i]); }
        int n = snprintf(o, (size_t)(oe - o) + 1, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
        if (n < 0 || n > oe - o) return -1;
        o += n;
    } else if (decpt <= 0) {
        PUT('0'); PUT('.');
        for (int i = 0; i < -decpt; i++) PUT('0');
        for (int i = 0; i < nd; i++) PUT(digits[i]);
    } else if (decpt < nd) {
        for (int i = 0; i < decpt; i++) PUT(digits[i]);
        PUT('.');
        for (int i = decpt; i < nd; i++) PUT(digits[i]);
    } else {
        for (int i = 0; i < nd; i++) PUT(digits[i]);
        for (int i = nd; i < decpt; i++) PUT('0');
        PUT('.'); PUT('0');
    }
#undef PUT
    *o = 0;
    return (int)(o - out);
}

/* A number as Python's float repr would print it, integral values without ".0". */
static int put_number(Buf *b, const char *s, const char *e) {
    int plain = e > s;
    for (const char *q = s; q < e; q++)
        if (!((*q >= '0' && *q <= '9') || (*q == '-' && q == s))) { plain = 0; break; }
    if (plain && e - s < 16) {
        int neg = *s == '-';
        const char *q = s + neg;
        if (q == e) return buf_put(b, s, e - s);  /* a lone "-": not a number */
        while (q < e && *q == '0') q++;
        if (q == e) return buf_put(b, "0", 1);  /* "-0", "00": zero, as a float reads */
        if (neg && buf_put(b, "-", 1)) return -1;
        return buf_put(b, q, e - q);            /* "007" reads as 7 */
    }
    char tmp[64];
    Py_ssize_t n = e - s;
    if (n >= (Py_ssize_t)sizeof tmp) return buf_put(b, s, n);
    memcpy(tmp, s, (size_t)n);
    tmp[n] = 0;
    char *end;
    double x = strtod(tmp, &end);
    if (end == tmp || *end || !isfinite(x)) return buf_put(b, s, n);
    if (x == floor(x) && fabs(x) < 1e15) {
        int k = snprintf(tmp, sizeof tmp, "%lld", (long long)x);
        return buf_put(b, tmp, k);
    }
    int k = format_repr(x, tmp, sizeof tmp);
    if (k < 0) return buf_put(b, s, n);
    return buf_put(b, tmp, k);
}

/* ---- the scanner ---------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    Py_ssize_t width;            /* columns kept; 0 = head mode (cells collected as tuples) */
    long long header_row;        /* rows up to this one are skipped in column mode */
    PyObject *sst_data, *sst_offsets, *date_styles;
    const char *sst;
    const int64_t *sst_off;
    Py_ssize_t sst_n;
    const unsigned char *dates;
    Py_ssize_t n_styles;
    int date1904;
    /* output, column mode */
    Buf *data, *offs, *valid;
    Buf rows;
    Py_ssize_t nrows;
    Py_ssize_t bytes;            /* cell text held, all columns */
    /* state */
    long long last_row;
    Buf cell;
    Wf wf;
    int busy;                    /* a feed is running (another thread may not enter) */
    /* where a problem is: the row and column (-1: not at a cell), what it is, and for a value
       right of the columns, its text */
    long long err_row;
    Py_ssize_t err_col;
    Buf err_text;
    const char *fail;
    /* extent mode: only the first and last rows holding a value are kept */
    int count_only;
    long long first_value_row, last_value_row;
} Scanner;

static PyObject *ScanFault;  /* ValueError subclass: (problem, row, column index or None) */

static void scanner_free_columns(Scanner *self) {
    if (self->data) {
        for (Py_ssize_t j = 0; j < self->width; j++) {
            buf_free(&self->data[j]); buf_free(&self->offs[j]); buf_free(&self->valid[j]);
        }
        free(self->data); free(self->offs); free(self->valid);
        self->data = self->offs = self->valid = NULL;
    }
}

static void Scanner_dealloc(Scanner *self) {
    scanner_free_columns(self);
    buf_free(&self->rows);
    buf_free(&self->cell);
    buf_free(&self->err_text);
    Py_XDECREF(self->sst_data);
    Py_XDECREF(self->sst_offsets);
    Py_XDECREF(self->date_styles);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int reset_columns(Scanner *self) {
    self->nrows = 0;
    self->bytes = 0;
    self->rows.len = 0;
    for (Py_ssize_t j = 0; j < self->width; j++) {
        self->data[j].len = 0;
        self->offs[j].len = 0;
        self->valid[j].len = 0;
        int32_t zero = 0;
        if (buf_put(&self->offs[j], (const char *)&zero, 4)) return -1;
    }
    return 0;
}

static void reset_state(Scanner *self) {
    memset(&self->wf, 0, sizeof self->wf);
    self->last_row = 0;
    self->err_row = 0;
    self->err_col = -1;
    self->err_text.len = 0;
    self->fail = NULL;
}

static int Scanner_init(Scanner *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"sst_data", "sst_offsets", "date_styles", "date1904", NULL};
    PyObject *sd, *so, *ds;
    int d1904 = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "SSS|p", kwlist, &sd, &so, &ds, &d1904)) return -1;
    /* The offsets must rise from 0 to the data's length: they index it without further checks. */
    Py_ssize_t n = PyBytes_GET_SIZE(so) / 8 - 1;
    const int64_t *off = (const int64_t *)PyBytes_AS_STRING(so);
    if (PyBytes_GET_SIZE(so) % 8 || n < 0 || off[0] != 0 || off[n] > PyBytes_GET_SIZE(sd)) {
        PyErr_SetString(PyExc_ValueError, "shared-string offsets do not fit their data");
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (off[i + 1] < off[i]) {
            PyErr_SetString(PyExc_ValueError, "shared-string offsets do not rise");
            return -1;
        }
    }
    Py_INCREF(sd); Py_INCREF(so); Py_INCREF(ds);
    Py_XSETREF(self->sst_data, sd);
    Py_XSETREF(self->sst_offsets, so);
    Py_XSETREF(self->date_styles, ds);
    self->sst = PyBytes_AS_STRING(sd);
    self->sst_off = off;
    self->sst_n = n;
    self->dates = (const unsigned char *)PyBytes_AS_STRING(ds);
    self->n_styles = PyBytes_GET_SIZE(ds);
    self->date1904 = d1904;
    reset_state(self);
    return 0;
}

/* Is the UTF-8 text empty or white space only, as Python's str.strip() sees it? */
static int blank(const char *p, Py_ssize_t n) {
    const unsigned char *s = (const unsigned char *)p, *e = s + n;
    while (s < e) {
        unsigned long cp;
        int k = utf8_char(s, e, &cp);
        if (!k) return 0;
        s += k;
        if (!((cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0
              || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029
              || cp == 0x202F || cp == 0x205F || cp == 0x3000)) return 0;
    }
    return 1;
}

/* A decimal index or number of at most `max_digits` digits, nothing else but surrounding
 * white space; -1 when it is not one. */
static long long small_number(const char *s, const char *e, int max_digits) {
    while (s < e && ws(*s)) s++;
    while (e > s && ws(e[-1])) e--;
    if (s == e || e - s > max_digits) return -1;
    long long v = 0;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

static const char *find_tag(const char *s, const char *e, const char *name, size_t n) {
    char needle[16];
    needle[0] = '<';
    memcpy(needle + 1, name, n);
    while ((s = find(s, e, needle, n + 1)) != NULL) {
        if (tag_is(s, e, name, n)) return s;
        s += n + 1;
    }
    return NULL;
}

/* A decoded value appended to b from `base`: 1 for a value, 0 blank, -1 too long. */
static int value_done(Scanner *self, const Buf *b, Py_ssize_t base) {
    if (b->len - base > MAX_CELL_BYTES) { self->fail = "a cell longer than 1 MiB"; return -1; }
    if (b->len == base) return 0;
    return !blank(b->p + base, b->len - base);  /* whitespace only counts as blank, as in cell_to_text */
}

/* An inline string's content [s, e) (<is>...</is> with what follows up to </c>) appended to b. */
static int inline_value(Scanner *self, Buf *b, const char *s, const char *e, int rich) {
    Py_ssize_t base = b->len;
    int rc = rich ? put_rich(b, s, e) : put_text(b, s, e);
    if (rc == -2) { self->fail = "a lone surrogate escape (_xD800_) in the text"; return -1; }
    if (rc) { self->fail = "an unterminated inline string"; return -1; }
    return value_done(self, b, base);
}

/* The text [s, vend) of a cell's <v> appended to b as its type and style say. */
static int v_value(Scanner *self, Buf *b, const CellAttrs *a, const char *s, const char *vend) {
    const char *tv = a->t, *sv = a->s, *sve = a->se;
    Py_ssize_t tl = tv ? a->te - tv : 0;
    Py_ssize_t base = b->len;
    int rc = 0;
    if (tl == 1 && *tv == 's') {
        const char *q = s;
        while (q < vend && ws(*q)) q++;
        if (q == vend) return 0;
        long long k = small_number(s, vend, 12);
        if (k < 0) { self->fail = "a shared-string index that is not a number"; return -1; }
        if (k >= self->sst_n) { self->fail = "a shared-string index past the table"; return -1; }
        if (buf_put(b, self->sst + self->sst_off[k], (Py_ssize_t)(self->sst_off[k + 1] - self->sst_off[k]))) {
            self->fail = "out of memory"; return -1;
        }
    } else if (tl == 1 && *tv == 'b') {
        if (vend == s) return 0;
        rc = buf_put(b, *s == '1' ? "TRUE" : "FALSE", *s == '1' ? 4 : 5);
    } else if ((tl == 3 && !memcmp(tv, "str", 3)) || (tl == 1 && (*tv == 'e' || *tv == 'd'))) {
        rc = put_text(b, s, vend);
        if (rc == -2) { self->fail = "a lone surrogate escape (_xD800_) in the text"; return -1; }
    } else {
        if (vend == s) return 0;
        int is_date = 0;
        if (sv) {
            long long st = small_number(sv, sve, 9);
            if (st < 0) { self->fail = "a style index that is not a number"; return -1; }
            if (st >= self->n_styles && self->n_styles) {
                self->fail = "a style index past the styles table"; return -1;
            }
            is_date = st < self->n_styles && self->dates[st];
        }
        if (is_date) {
            char tmp[64];
            Py_ssize_t n = vend - s;
            if (n < (Py_ssize_t)sizeof tmp) {
                memcpy(tmp, s, (size_t)n);
                tmp[n] = 0;
                char *end;
                double x = strtod(tmp, &end);
                if (end != tmp && !*end && put_serial_date(b, x, self->date1904)) goto done;
            }
        }
        rc = put_number(b, s, vend);
    }
    if (rc) { self->fail = "out of memory"; return -1; }
done:
    return value_done(self, b, base);
}

static int is_inline(const CellAttrs *a) {
    return a->t && a->te - a->t == 9 && !memcmp(a->t, "inlineStr", 9);
}

/* Decode one cell's value, appending it to b. Returns 1 for a value, 0 for blank, -1 error
 * (b may then hold part of it past its length before). */
static int cell_value(Scanner *self, Buf *b, const CellAttrs *a, const char *gt, const char *close) {
    const char *body = gt + 1;
    if (is_inline(a)) {
        const char *is = find_tag(body, close, "is", 2);
        if (!is) return 0;
        return inline_value(self, b, is, close, 1);
    }
    const char *v = find_tag(body, close, "v", 1);
    if (!v) return 0;
    const char *vgt = tag_end(v, close);
    if (!vgt) { self->fail = "an unterminated <v> element"; return -1; }
    if (vgt[-1] == '/') return 0;
    const char *vend = find(vgt + 1, close, "</v>", 4);
    if (!vend) { self->fail = "an unterminated <v> element"; return -1; }
    return v_value(self, b, a, vgt + 1, vend);
}

/* A cell reference "AB12" (or "AB"): its column, and its row when given (else 0). 0 when it
 * is not a reference inside the sheet's bounds. */
static int cell_ref(const char *s, const char *e, Py_ssize_t *col, long long *row) {
    Py_ssize_t c = 0;
    const char *q = s;
    for (; q < e && *q >= 'A' && *q <= 'Z'; q++) {
        if (q - s >= 3) return 0;
        c = c * 26 + (*q - 'A' + 1);
    }
    if (q == s || c > MAX_COL) return 0;
    *col = c - 1;
    *row = 0;
    if (q < e) {
        long long r = small_number(q, e, 7);
        if (r < 1 || r > MAX_ROW) return 0;
        *row = r;
    }
    return 1;
}

static int append_null(Scanner *self, Py_ssize_t j) {
    int32_t off = (int32_t)self->data[j].len;
    char z = 0;
    if (buf_put(&self->offs[j], (const char *)&off, 4)) return -1;
    return buf_put(&self->valid[j], &z, 1);
}

/* ---- the common cell in one pass ------------------------------------------------------
 * Nearly every cell a spreadsheet program writes is one of
 *     <c r="B7" t="s" s="3"/>          <c ...><v>TEXT</v></c>
 *     <c ... t="inlineStr"><is><t>TEXT</t></is></c>   (or <t xml:space="preserve">)
 * with attribute names and values of letters and digits. Such a cell is a balanced piece of
 * well-formed XML when its TEXT is (the element stack is as before it): fast_cell recognises
 * it, checking TEXT as the well-formedness check would, in the same pass that finds its parts,
 * so the check need not read it again. Anything else (other spacing, quotes, children, a
 * reference the scanner refuses, ...) is left to the general path, which then reads it exactly
 * as before: fast_cell changes nothing until it answers 1. */
typedef struct {
    CellAttrs ca;
    const char *gt;      /* the '>' ending the start tag */
    const char *close;   /* "</c>" (gt when self-closing) */
    const char *end;     /* just past the cell */
    const char *text, *text_end;  /* the <v> or <t> content */
    int selfclosing;
    int inline_text;     /* 1: <is><t>, 0: <v> */
} FastCell;

static unsigned char fast_attr_byte[256];  /* [A-Za-z0-9]: attribute names and values */

static void init_fast_bytes(void) {
    for (int c = 0; c < 256; c++)
        fast_attr_byte[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Character data [s, t) as wf_chars checks it inside the root: 1 when it passes. */
static int fast_text(Wf *w, const char *s, const char *t) {
    const unsigned char *p = (const unsigned char *)s, *end = (const unsigned char *)t;
    while (p < end && (byte_class[*p] & C_PLAIN)) p++;
    if (p == end) return 1;
    const char *fail = w->fail;
    int ok = wf_chars(w, (const char *)p, t, 1) == 0;
    w->fail = fail;  /* a refusal is left for the general path to report */
    return ok;
}

static int fast_cell(Wf *w, const char *lt, const char *e, FastCell *f) {
    if (w->depth == 0 || w->root_done || w->depth + 3 > MAX_DEPTH) return 0;
    const char *q = lt + 2;  /* past "<c" */
    memset(&f->ca, 0, sizeof f->ca);
    for (;;) {
        if (q >= e || q - lt > 1024) return 0;
        if (*q == '>') { f->selfclosing = 0; break; }
        if (*q == '/') {
            if (e - q < 2 || q[1] != '>') return 0;
            f->selfclosing = 1;
            q++;
            break;
        }
        if (*q != ' ') return 0;
        q++;
        const char *an = q;
        while (q < e && fast_attr_byte[(unsigned char)*q]) q++;
        if (q == an || e - q < 2 || q[0] != '=' || q[1] != '"') return 0;
        Py_ssize_t n = q - an;
        q += 2;
        const char *vs = q;
        while (q < e && fast_attr_byte[(unsigned char)*q]) q++;
        if (q >= e || *q != '"') return 0;
        if (n == 1) {  /* the last of a repeated attribute counts, as in cell_attrs */
            if (*an == 'r') { f->ca.r = vs; f->ca.re = q; }
            else if (*an == 't') { f->ca.t = vs; f->ca.te = q; }
            else if (*an == 's') { f->ca.s = vs; f->ca.se = q; }
        }
        q++;
    }
    f->gt = q;
    if (f->selfclosing) { f->close = q; f->end = q + 1; return 1; }
    q++;
    const char *text, *stop;
    Py_ssize_t tail;
    if (e - q >= 3 && q[0] == '<' && q[1] == 'v' && q[2] == '>') {
        text = q + 3;
        f->inline_text = 0;
        tail = 8;
        stop = "</v></c>";
    } else if (e - q >= 7 && !memcmp(q, "<is><t", 6)) {
        if (q[6] == '>') text = q + 7;
        else if (e - q >= 28 && !memcmp(q + 6, " xml:space=\"preserve\">", 22)) text = q + 28;
        else return 0;
        f->inline_text = 1;
        tail = 13;
        stop = "</t></is></c>";
    } else {
        return 0;
    }
    const char *lt2 = memchr(text, '<', (size_t)(e - text));
    if (!lt2 || e - lt2 < tail || memcmp(lt2, stop, (size_t)tail)) return 0;
    if (!fast_text(w, text, lt2)) return 0;
    f->close = lt2 + tail - 4;
    f->end = lt2 + tail;
    f->text = text;
    f->text_end = lt2;
    return 1;
}

/* Parse complete rows in [s, e). Head mode appends (row, col, text) to `out`: only then is
 * the GIL held; otherwise nothing here may touch Python. Returns 0, -1 for a fault
 * (self->fail, err_row, err_col), -2 for a value right of the columns (err_text). */
static int scan(Scanner *self, const char *s, const char *e, PyObject *out) {
    long long row = self->last_row;
    Py_ssize_t next_col = 0;      /* columns filled in the current row (column mode) */
    Py_ssize_t cursor = 0;        /* position of a cell without an r attribute */
    int in_row = 0, row_has_value = 0, skip_row = 0;
    Wf *w = &self->wf;
    w->pos = s;
    FastCell fc;
    CellAttrs ca;                 /* the cell at hand: its attributes, start tag's end, ... */
    const char *gt, *close;
    int selfclosing, fast;
    Py_ssize_t col;
#define FAULT(msg, c) do { self->fail = (msg); self->err_row = row; self->err_col = (c); goto fault; } while (0)
#define CHECKED(upto, c) do { if (wf_feed(w, (upto))) { self->fail = w->fail; self->err_row = row; self->err_col = (c); goto fault; } } while (0)
    while (s < e) {
        const char *lt = memchr(s, '<', (size_t)(e - s));
        if (!lt) break;
        if (lt + 1 < e && (lt[1] == '!' || lt[1] == '?')) {
            /* comments and processing instructions hold no cells; the rest is refused */
            const char *end = lt[1] == '?' ? find(lt + 2, e, "?>", 2)
                              : (e - lt >= 4 && !memcmp(lt, "<!--", 4)) ? find(lt + 4, e, "-->", 3) : NULL;
            if (!end) CHECKED(e, -1);           /* names the problem */
            if (!end) FAULT("a declaration cut off", -1);
            s = end + (lt[1] == '?' ? 2 : 3);
            CHECKED(s, -1);
            continue;
        }
        if (lt + 1 < e && lt[1] == '/') {
            const char *gt = memchr(lt, '>', (size_t)(e - lt));
            if (!gt) { CHECKED(e, -1); FAULT("a tag cut off", -1); }
            CHECKED(gt + 1, -1);
            if (tag_is(lt + 1, e, "row", 3)) {
                if (in_row && row_has_value && out == NULL && !self->count_only) {
                    for (; next_col < self->width; next_col++)
                        if (append_null(self, next_col)) FAULT("out of memory", -1);
                }
                in_row = 0;
            }
            s = gt + 1;
            continue;
        }
        if (lt + 1 < e && lt[1] == 'c' && in_row && w->pos == lt && out == NULL && fast_cell(w, lt, e, &fc)) {
            col = cursor;
            ca = fc.ca;
            if (ca.r) {
                long long ref_row;
                if (!cell_ref(ca.r, ca.re, &col, &ref_row) || (ref_row && ref_row != row)) goto general;
            }
            if (col >= MAX_COL || col < cursor) goto general;
            gt = fc.gt;
            close = fc.close;
            selfclosing = fc.selfclosing;
            s = fc.end;
            w->pos = s;  /* checked in fast_cell */
            fast = 1;
            goto cell_read;
        }
    general:
        fast = 0;
        gt = tag_end(lt, e);
        if (!gt) { CHECKED(e, -1); FAULT("a tag cut off", -1); }
        if (tag_is(lt, e, "row", 3)) {
            const char *v, *ve;
            long long prev = row, r = row + 1;
            if (attr(lt, gt, "r", 1, &v, &ve)) r = small_number(v, ve, 7);
            row = r >= 1 && r <= MAX_ROW ? r : prev + 1;  /* where a fault in the tag is */
            CHECKED(gt + 1, -1);
            if (r < 1 || r > MAX_ROW) FAULT("a row number outside 1-1048576", -1);
            if (r <= prev) FAULT("rows out of order (a row number repeated or going back)", -1);
            if (in_row) FAULT("a row inside a row", -1);
            in_row = 1; row_has_value = 0; next_col = 0; cursor = 0;
            skip_row = out == NULL && row <= self->header_row;
            if (gt[-1] == '/') { in_row = 0; }
            s = gt + 1;
            continue;
        }
        if (tag_is(lt, e, "c", 1)) {
            close = gt;
            selfclosing = gt[-1] == '/';
            cell_attrs(lt, gt, &ca);
            col = cursor;
            if (ca.r) {
                long long ref_row;
                if (!cell_ref(ca.r, ca.re, &col, &ref_row)) {
                    CHECKED(gt + 1, cursor);
                    FAULT("a cell reference outside A1:XFD1048576", cursor);
                }
                if (ref_row && ref_row != row) FAULT("a cell whose reference names another row", col);
            }
            if (col >= MAX_COL) FAULT("a cell beyond column XFD", col);
            if (col < cursor) FAULT("cells out of column order", col);
            if (!in_row) FAULT("a cell outside a row", col);
            CHECKED(lt, col);
            int depth = w->depth;
            if (!selfclosing) {
                close = find(gt + 1, e, "</c>", 4);
                if (!close) { CHECKED(e, col); FAULT("a cell without its end tag", col); }
            }
            s = selfclosing ? gt + 1 : close + 4;
            CHECKED(s, col);
            if (w->depth != depth) FAULT("a cell inside a cell", col);
        cell_read:
            cursor = col + 1;
            if (selfclosing || skip_row) continue;
            /* a value the columns keep is decoded straight into its column's data */
            Buf *into = out == NULL && !self->count_only && col < self->width ? &self->data[col]
                                                                              : &self->cell;
            if (into == &self->cell) into->len = 0;
            Py_ssize_t base = into->len;
            int has;
            if (!fast) has = cell_value(self, into, &ca, gt, close);
            else if (fc.inline_text) has = is_inline(&ca) ? inline_value(self, into, fc.text, fc.text_end, 0) : 0;
            else has = is_inline(&ca) ? 0 : v_value(self, into, &ca, fc.text, fc.text_end);
            if (has <= 0) into->len = base;
            if (has < 0) { self->err_row = row; self->err_col = col; goto fault; }
            if (!has) continue;
            if (out) {
                self->bytes += self->cell.len;  /* the head's text is held too: bounded alike */
                if (self->bytes > MAX_BATCH_TEXT)
                    FAULT("over 256 MiB of cell text in one piece of the sheet (one string repeated?)", col);
                PyObject *text = PyUnicode_DecodeUTF8(self->cell.p, self->cell.len, "strict");
                if (!text) return -1;
                PyObject *t = Py_BuildValue("(LnN)", row, col, text);
                if (!t || PyList_Append(out, t)) { Py_XDECREF(t); return -1; }
                Py_DECREF(t);
                continue;
            }
            if (self->count_only) {
                if (!self->first_value_row) self->first_value_row = row;
                self->last_value_row = row;
                continue;
            }
            if (col >= self->width) {
                self->err_row = row;
                self->err_col = col;
                self->err_text.len = 0;
                Py_ssize_t keep = self->cell.len < 4096 ? self->cell.len : 4096;
                while (keep < self->cell.len && keep > 0
                       && ((unsigned char)self->cell.p[keep] & 0xC0) == 0x80) keep--;
                if (buf_put(&self->err_text, self->cell.p, keep)) FAULT("out of memory", col);
                self->fail = "value right of the last headed column";
                return -2;
            }
            if (!row_has_value) {
                row_has_value = 1;
                if (buf_put(&self->rows, (const char *)&row, 8)) FAULT("out of memory", col);
                self->nrows++;
            }
            for (; next_col < col; next_col++) if (append_null(self, next_col)) FAULT("out of memory", col);
            self->bytes += into->len - base;
            if (self->bytes > MAX_BATCH_TEXT || into->len > INT32_MAX)
                FAULT("over 256 MiB of cell text in one piece of the sheet (one string repeated?)", col);
            int32_t off = (int32_t)into->len;
            char one = 1;
            if (buf_put(&self->offs[col], (const char *)&off, 4)) FAULT("out of memory", col);
            if (buf_put(&self->valid[col], &one, 1)) FAULT("out of memory", col);
            next_col = col + 1;
            continue;
        }
        s = gt + 1;
        CHECKED(s, -1);
    }
    CHECKED(e, -1);
    self->last_row = row;
    if (in_row) FAULT("a row cut off", -1);
    return 0;
fault:
    self->last_row = row;
    return -1;
#undef FAULT
#undef CHECKED
}

static PyObject *raise_fault(Scanner *self) {
    PyObject *col = self->err_col >= 0 ? PyLong_FromSsize_t(self->err_col) : Py_NewRef(Py_None);
    PyObject *args = Py_BuildValue("(sLN)", self->fail ? self->fail : "out of memory",
                                   self->err_row, col);
    if (args) { PyErr_SetObject(ScanFault, args); Py_DECREF(args); }
    return NULL;
}

static PyObject *Scanner_feed(Scanner *self, PyObject *args) {
    Py_buffer view;
    int head = 0;
    if (!PyArg_ParseTuple(args, "y*|p", &view, &head)) return NULL;
    if (self->busy) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_RuntimeError, "feed() is already running on this scanner");
        return NULL;
    }
    if (self->fail) {
        PyBuffer_Release(&view);
        return raise_fault(self);
    }
    PyObject *out = NULL;
    if (head) {
        out = PyList_New(0);
        if (!out) { PyBuffer_Release(&view); return NULL; }
    } else if (!self->data) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_RuntimeError, "configure() the columns before feeding rows");
        return NULL;
    }
    int rc;
    self->busy = 1;
    if (head) {
        rc = scan(self, view.buf, (const char *)view.buf + view.len, out);
    } else {
        Py_BEGIN_ALLOW_THREADS
        rc = scan(self, view.buf, (const char *)view.buf + view.len, NULL);
        Py_END_ALLOW_THREADS
    }
    self->busy = 0;
    PyBuffer_Release(&view);
    if (rc == -1 && PyErr_Occurred()) { Py_XDECREF(out); return NULL; }
    if (rc < 0) {
        Py_XDECREF(out);
        if (rc == -2) {
            PyObject *text = PyUnicode_DecodeUTF8(self->err_text.p ? self->err_text.p : "",
                                                  self->err_text.len, "replace");
            if (!text) return NULL;
            return Py_BuildValue("(sLnN)", self->fail, self->err_row, self->err_col, text);
        }
        return raise_fault(self);
    }
    if (head) return out;
    return PyLong_FromSsize_t(self->nrows);
}

static PyObject *Scanner_finish(Scanner *self, PyObject *Py_UNUSED(ignored)) {
    if (self->fail) return raise_fault(self);
    if (wf_finish(&self->wf)) {
        self->fail = self->wf.fail;
        self->err_row = self->last_row;
        self->err_col = -1;
        return raise_fault(self);
    }
    Py_RETURN_NONE;
}

static PyObject *Scanner_configure(Scanner *self, PyObject *args) {
    Py_ssize_t width;
    long long header_row;
    int count_only = 0;
    if (!PyArg_ParseTuple(args, "nL|p", &width, &header_row, &count_only)) return NULL;
    if (width < 0 || width > MAX_COL) {
        PyErr_SetString(PyExc_ValueError, "width outside 0-16384");
        return NULL;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "feed() is running on this scanner");
        return NULL;
    }
    self->count_only = count_only;
    self->first_value_row = self->last_value_row = 0;
    scanner_free_columns(self);
    self->width = width;
    self->header_row = header_row;
    reset_state(self);
    self->data = calloc((size_t)width + 1, sizeof(Buf));
    self->offs = calloc((size_t)width + 1, sizeof(Buf));
    self->valid = calloc((size_t)width + 1, sizeof(Buf));
    if (!self->data || !self->offs || !self->valid) return PyErr_NoMemory();
    if (reset_columns(self)) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

/* ---- a column's buffer handed over without a copy ----------------------------------------
 * take() gives Python the scanner's own buffers: a Chunk owns one (freed with it) and exposes
 * it read-only through the buffer protocol (pyarrow wraps it with py_buffer). The scanner then
 * starts fresh buffers, reserved at the size the last batch needed: a batch is written once
 * and held once, where a copy into bytes held it twice while the scanner kept its buffers. */
typedef struct {
    PyObject_HEAD
    char *p;
    Py_ssize_t len;
} Chunk;

static void Chunk_dealloc(Chunk *self) {
    free(self->p);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Chunk_getbuffer(Chunk *self, Py_buffer *view, int flags) {
    static char empty[1];
    return PyBuffer_FillInfo(view, (PyObject *)self, self->p ? self->p : empty, self->len, 1, flags);
}

static Py_ssize_t Chunk_length(Chunk *self) { return self->len; }

static PyBufferProcs Chunk_as_buffer = {(getbufferproc)Chunk_getbuffer, NULL};
static PySequenceMethods Chunk_as_sequence = {.sq_length = (lenfunc)Chunk_length};

static PyTypeObject ChunkType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "detainerwatch.sources._xlsxscan.Chunk",
    .tp_basicsize = sizeof(Chunk),
    .tp_dealloc = (destructor)Chunk_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A buffer the scanner filled, read-only (bytes(chunk) copies it).",
    .tp_as_buffer = &Chunk_as_buffer,
    .tp_as_sequence = &Chunk_as_sequence,
};

/* b's memory as a Chunk; b is left empty with room reserved for as much again. */
static PyObject *chunk_take(Buf *b) {
    Chunk *c = PyObject_New(Chunk, &ChunkType);
    if (!c) return NULL;
    Py_ssize_t used = b->len;
    c->p = b->p;
    c->len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    if (used > 256) buf_reserve(b, used + used / 8);  /* a failure shows at the next append */
    return (PyObject *)c;
}

/* The rows collected so far as (n, row_numbers, [(offsets, data, validity, nulls)...]). */
static PyObject *Scanner_take(Scanner *self, PyObject *Py_UNUSED(ignored)) {
    if (!self->data) { PyErr_SetString(PyExc_RuntimeError, "not configured"); return NULL; }
    if (self->busy) { PyErr_SetString(PyExc_RuntimeError, "feed() is running"); return NULL; }
    Py_ssize_t n = self->nrows;
    PyObject *cols = PyList_New(self->width);
    if (!cols) return NULL;
    Py_ssize_t nbytes = (n + 7) / 8;
    for (Py_ssize_t j = 0; j < self->width; j++) {
        PyObject *bitmap = PyBytes_FromStringAndSize(NULL, nbytes);
        if (!bitmap) { Py_DECREF(cols); reset_columns(self); return NULL; }
        unsigned char *bm = (unsigned char *)PyBytes_AS_STRING(bitmap);
        memset(bm, 0, (size_t)nbytes);
        Py_ssize_t nulls = 0;
        const char *v = self->valid[j].p;
        if (self->valid[j].len < n || self->offs[j].len < 4 * (n + 1)) {
            Py_DECREF(bitmap); Py_DECREF(cols);
            reset_columns(self);  /* columns before j were handed over already */
            PyErr_SetString(PyExc_RuntimeError, "column buffers out of step");
            return NULL;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            if (v[i]) bm[i >> 3] |= (unsigned char)(1u << (i & 7));
            else nulls++;
        }
        PyObject *t = PyTuple_New(4);
        PyObject *count = t ? PyLong_FromSsize_t(nulls) : NULL;
        PyObject *offsets = count ? chunk_take(&self->offs[j]) : NULL;
        PyObject *data = offsets ? chunk_take(&self->data[j]) : NULL;
        if (!data) {
            Py_XDECREF(t); Py_XDECREF(count); Py_XDECREF(offsets); Py_DECREF(bitmap); Py_DECREF(cols);
            reset_columns(self);  /* the rows are lost either way: the batch is not handed on */
            return NULL;
        }
        PyTuple_SET_ITEM(t, 0, offsets);
        PyTuple_SET_ITEM(t, 1, data);
        PyTuple_SET_ITEM(t, 2, bitmap);
        PyTuple_SET_ITEM(t, 3, count);
        PyList_SET_ITEM(cols, j, t);
    }
    PyObject *res = PyTuple_New(3);
    PyObject *count = res ? PyLong_FromSsize_t(n) : NULL;
    PyObject *rows = count ? chunk_take(&self->rows) : NULL;
    if (!rows) {
        Py_XDECREF(res); Py_XDECREF(count); Py_DECREF(cols);
        reset_columns(self);
        return NULL;
    }
    PyTuple_SET_ITEM(res, 0, count);
    PyTuple_SET_ITEM(res, 1, rows);
    PyTuple_SET_ITEM(res, 2, cols);
    if (reset_columns(self)) { Py_DECREF(res); return PyErr_NoMemory(); }
    return res;
}

static PyObject *Scanner_extent(Scanner *self, PyObject *Py_UNUSED(ignored)) {
    if (!self->first_value_row) Py_RETURN_NONE;
    return Py_BuildValue("(LL)", self->first_value_row, self->last_value_row);
}

static PyObject *Scanner_pending(Scanner *self, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromSsize_t(self->nrows);
}

static PyObject *Scanner_last_row(Scanner *self, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromLongLong(self->last_row);
}

static PyObject *Scanner_pending_bytes(Scanner *self, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromSsize_t(self->bytes);
}

static PyMethodDef Scanner_methods[] = {
    {"feed", (PyCFunction)Scanner_feed, METH_VARARGS,
     "feed(xml, head=False): parse complete rows. Head mode returns [(row, col, text)]; "
     "column mode returns the rows pending, or (problem, row, col, text) for a value outside "
     "the columns. Malformed XML raises ScanFault(problem, row, col)."},
    {"finish", (PyCFunction)Scanner_finish, METH_NOARGS,
     "finish(): after the last feed, raise ScanFault when the part was not whole."},
    {"configure", (PyCFunction)Scanner_configure, METH_VARARGS,
     "configure(width, header_row, count_only=False): keep columns 0..width-1 of rows below "
     "header_row; with count_only, keep only the extent of the rows holding values."},
    {"take", (PyCFunction)Scanner_take, METH_NOARGS,
     "take(): (rows, row_numbers int64, [(offsets int32, data, validity bitmap, nulls)])."},
    {"pending", (PyCFunction)Scanner_pending, METH_NOARGS, "rows collected, not yet taken"},
    {"pending_bytes", (PyCFunction)Scanner_pending_bytes, METH_NOARGS,
     "bytes of cell text collected, not yet taken"},
    {"last_row", (PyCFunction)Scanner_last_row, METH_NOARGS, "the last row number scanned"},
    {"extent", (PyCFunction)Scanner_extent, METH_NOARGS,
     "(first, last) rows holding a value, in extent mode (configure(..., count_only=True))"},
    {NULL}
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "detainerwatch.sources._xlsxscan.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Streaming scanner of worksheet XML into Arrow string columns.",
    .tp_methods = Scanner_methods,
    .tp_init = (initproc)Scanner_init,
    .tp_new = PyType_GenericNew,
};

/* sharedStrings.xml -> (data, int64 offsets): each <si> as its text. The whole part is
 * checked as XML first. */
static PyObject *shared_strings(PyObject *Py_UNUSED(mod), PyObject *args) {
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "y*", &view)) return NULL;
    const char *s = view.buf, *e = s + view.len;
    Buf data = {0}, offs = {0};
    int64_t zero = 0;
    const char *fail = buf_put(&offs, (const char *)&zero, 8) ? "out of memory" : NULL;
    Py_BEGIN_ALLOW_THREADS
    Wf w;
    memset(&w, 0, sizeof w);
    w.pos = s;
    if (!fail && (wf_feed(&w, e) || wf_finish(&w))) fail = w.fail;
    while (!fail && s < e) {
        const char *si = find_tag(s, e, "si", 2);
        if (!si) break;
        const char *gt = tag_end(si, e);
        if (!gt) { fail = "a tag cut off"; break; }
        if (gt[-1] != '/') {
            const char *close = find(gt + 1, e, "</si>", 5);
            if (!close) { fail = "a string without its end tag"; break; }
            int rc = put_rich(&data, gt + 1, close);
            if (rc == -2) { fail = "a lone surrogate escape (_xD800_) in the text"; break; }
            if (rc) { fail = "a string cut off"; break; }
            s = close + 5;
        } else {
            s = gt + 1;
        }
        int64_t off = (int64_t)data.len;
        if (off - (int64_t)(((const int64_t *)offs.p)[offs.len / 8 - 1]) > MAX_CELL_BYTES) {
            fail = "a string longer than 1 MiB"; break;
        }
        if (buf_put(&offs, (const char *)&off, 8)) fail = "out of memory";
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (fail) {
        buf_free(&data); buf_free(&offs);
        PyErr_Format(PyExc_ValueError, "malformed shared strings XML: %s", fail);
        return NULL;
    }
    PyObject *res = Py_BuildValue("(y#y#)", data.p ? data.p : "", data.len, offs.p, offs.len);
    buf_free(&data); buf_free(&offs);
    return res;
}

/* check_xml(data): None when the part is well-formed XML as the scanner reads it (UTF-8, no
 * DTD, bounded tags and nesting), else ValueError naming the problem. */
static PyObject *check_xml(PyObject *Py_UNUSED(mod), PyObject *args) {
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "y*", &view)) return NULL;
    const char *fail = NULL;
    Py_BEGIN_ALLOW_THREADS
    Wf w;
    memset(&w, 0, sizeof w);
    w.pos = view.buf;
    if (wf_feed(&w, (const char *)view.buf + view.len) || wf_finish(&w)) fail = w.fail;
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (fail) { PyErr_Format(PyExc_ValueError, "malformed XML: %s", fail); return NULL; }
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"shared_strings", shared_strings, METH_VARARGS,
     "shared_strings(xml) -> (data, offsets int64): the shared-string table as one buffer."},
    {"check_xml", check_xml, METH_VARARGS,
     "check_xml(xml): raise ValueError unless the part is well-formed XML the scanner reads."},
    {NULL}
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_xlsxscan", "Streaming SpreadsheetML scanner.", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__xlsxscan(void) {
    init_byte_classes();
    init_fast_bytes();
    if (PyType_Ready(&ScannerType) < 0 || PyType_Ready(&ChunkType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (!m) return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(m);
        return NULL;
    }
    ScanFault = PyErr_NewExceptionWithDoc(
        "detainerwatch.sources._xlsxscan.ScanFault",
        "Sheet XML the scanner refuses: args (problem, row, column index or None).",
        PyExc_ValueError, NULL);
    if (!ScanFault || PyModule_AddObjectRef(m, "ScanFault", ScanFault) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
