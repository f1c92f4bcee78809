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

/* ---- XML helpers -------------------------------------------------------------------- */

static void put_utf8(Buf *b, unsigned long cp) {
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
    buf_put(b, tmp, n);
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Append XML text, resolving entities and OOXML's _xHHHH_ escapes. */
static int put_text(Buf *b, const char *s, const char *e) {
    if (buf_reserve(b, e - s)) return -1;
    while (s < e) {
        const char *amp = s;
        while (amp < e && *amp != '&' && *amp != '_') amp++;
        buf_put(b, s, amp - s);
        if (amp >= e) break;
        s = amp;
        if (*s == '_') {
            if (e - s >= 7 && s[1] == 'x' && s[6] == '_' && hexval(s[2]) >= 0 && hexval(s[3]) >= 0
                && hexval(s[4]) >= 0 && hexval(s[5]) >= 0) {
                unsigned long cp = (unsigned long)((hexval(s[2]) << 12) | (hexval(s[3]) << 8)
                                                   | (hexval(s[4]) << 4) | hexval(s[5]));
                put_utf8(b, cp);
                s += 7;
            } else {
                buf_put(b, s, 1);
                s++;
            }
            continue;
        }
        const char *semi = s + 1;
        while (semi < e && semi - s < 12 && *semi != ';') semi++;
        if (semi >= e || *semi != ';') { buf_put(b, s, 1); s++; continue; }
        Py_ssize_t n = semi - s - 1;
        const char *name = s + 1;
        if (n == 2 && !memcmp(name, "lt", 2)) buf_put(b, "<", 1);
        else if (n == 2 && !memcmp(name, "gt", 2)) buf_put(b, ">", 1);
        else if (n == 3 && !memcmp(name, "amp", 3)) buf_put(b, "&", 1);
        else if (n == 4 && !memcmp(name, "quot", 4)) buf_put(b, "\"", 1);
        else if (n == 4 && !memcmp(name, "apos", 4)) buf_put(b, "'", 1);
        else if (n >= 2 && name[0] == '#') {
            unsigned long cp = 0;
            int ok = 1;
            if (name[1] == 'x' || name[1] == 'X') {
                for (const char *q = name + 2; q < semi; q++) {
                    int h = hexval(*q);
                    if (h < 0) { ok = 0; break; }
                    cp = cp * 16 + (unsigned long)h;
                }
                ok = ok && n > 2;
            } else {
                for (const char *q = name + 1; q < semi; q++) {
                    if (*q < '0' || *q > '9') { ok = 0; break; }
                    cp = cp * 10 + (unsigned long)(*q - '0');
                }
            }
            if (!ok || cp > 0x10FFFF) { buf_put(b, s, semi + 1 - s); }
            else put_utf8(b, cp);
        } else {
            buf_put(b, s, semi + 1 - s);
        }
        s = semi + 1;
    }
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

static const char *find(const char *s, const char *e, const char *needle, size_t n) {
    while (s < e) {
        const char *lt = memchr(s, needle[0], (size_t)(e - s));
        if (!lt || e - lt < (Py_ssize_t)n) return NULL;
        if (!memcmp(lt, needle, n)) return lt;
        s = lt + 1;
    }
    return NULL;
}

/* Rich or plain string content (<is>/<si>): every <t> outside phonetic runs (<rPh>). */
static int put_rich(Buf *b, const char *s, const char *e) {
    while (s < e) {
        const char *lt = memchr(s, '<', (size_t)(e - s));
        if (!lt) break;
        if (tag_is(lt, e, "rPh", 3)) {
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
            if (put_text(b, gt + 1, close)) return -1;
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
    long long days = (long long)floor(x);
    long long ms = llround((x - (double)days) * 86400000.0);
    if (ms >= 86400000LL) { days += 1; ms -= 86400000LL; }
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
        n = snprintf(tmp, sizeof tmp, "%04lld-%02u-%02u", y, m, d);
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

/* A number as Python's float repr would print it, integral values without ".0". */
static int put_number(Buf *b, const char *s, const char *e) {
    int plain = 1;
    for (const char *q = s; q < e; q++)
        if (!((*q >= '0' && *q <= '9') || (*q == '-' && q == s))) { plain = 0; break; }
    if (plain && e - s < 16) {
        const char *q = s + (*s == '-');
        while (q < e && *q == '0') q++;
        if (q == e && e > s) return buf_put(b, "0", 1);  /* "-0", "00": zero, as a float reads */
        return buf_put(b, s, e - s);
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
    char *r = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);  /* as repr() */
    if (!r) return -1;
    int rc = buf_put(b, r, (Py_ssize_t)strlen(r));
    PyMem_Free(r);
    return rc;
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
    /* state */
    long long last_row;
    Buf cell;
    /* first value right of the last column, or a structural error */
    long long err_row;
    Py_ssize_t err_col;
    PyObject *err_text;
    const char *fail;
    /* extent mode: only the first and last rows holding a value are kept */
    int count_only;
    long long first_value_row, last_value_row;
} Scanner;

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
    Py_XDECREF(self->sst_data);
    Py_XDECREF(self->sst_offsets);
    Py_XDECREF(self->date_styles);
    Py_XDECREF(self->err_text);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int reset_columns(Scanner *self) {
    self->nrows = 0;
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

static int Scanner_init(Scanner *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"sst_data", "sst_offsets", "date_styles", "date1904", NULL};
    PyObject *sd, *so, *ds;
    int d1904 = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "SSS|p", kwlist, &sd, &so, &ds, &d1904)) return -1;
    Py_INCREF(sd); Py_INCREF(so); Py_INCREF(ds);
    self->sst_data = sd; self->sst_offsets = so; self->date_styles = ds;
    self->sst = PyBytes_AS_STRING(sd);
    self->sst_off = (const int64_t *)PyBytes_AS_STRING(so);
    self->sst_n = PyBytes_GET_SIZE(so) / 8 - 1;
    if (self->sst_n < 0) self->sst_n = 0;
    self->dates = (const unsigned char *)PyBytes_AS_STRING(ds);
    self->n_styles = PyBytes_GET_SIZE(ds);
    self->date1904 = d1904;
    self->last_row = 0;
    return 0;
}

/* Is the UTF-8 text empty or white space only, as Python's str.strip() sees it? */
static int blank(const char *p, Py_ssize_t n) {
    const unsigned char *s = (const unsigned char *)p, *e = s + n;
    while (s < e) {
        unsigned long cp;
        if (*s < 0x80) { cp = *s++; }
        else if ((*s & 0xE0) == 0xC0 && e - s >= 2) { cp = ((*s & 0x1Fu) << 6) | (s[1] & 0x3Fu); s += 2; }
        else if ((*s & 0xF0) == 0xE0 && e - s >= 3) {
            cp = ((*s & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu); s += 3;
        } else return 0;
        if (!((cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0
              || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029
              || cp == 0x202F || cp == 0x205F || cp == 0x3000)) return 0;
    }
    return 1;
}

/* Decode one cell's value into self->cell. Returns 1 for a value, 0 for blank, -1 error. */
static int cell_value(Scanner *self, const CellAttrs *a, const char *gt, const char *close) {
    const char *tv = a->t, *tve = a->te, *sv = a->s, *sve = a->se;
    Buf *b = &self->cell;
    b->len = 0;
    const char *body = gt + 1;
    Py_ssize_t tl = tv ? tve - tv : 0;
    if (tl == 9 && !memcmp(tv, "inlineStr", 9)) {
        const char *is = find(body, close, "<is", 3);
        if (!is) return 0;
        if (put_rich(b, is, close)) { self->fail = "an unterminated inline string"; return -1; }
    } else {
        const char *v = find(body, close, "<v", 2);
        if (!v) return 0;
        const char *vgt = tag_end(v, close);
        if (!vgt) { self->fail = "an unterminated <v> element"; return -1; }
        if (vgt[-1] == '/') return 0;
        const char *vend = find(vgt + 1, close, "</v>", 4);
        if (!vend) { self->fail = "an unterminated <v> element"; return -1; }
        const char *s = vgt + 1;
        if (tl == 1 && *tv == 's') {
            long long k = 0;
            const char *q = s;
            while (q < vend && (*q == ' ' || *q == '\n')) q++;
            if (q == vend) return 0;
            for (; q < vend && *q >= '0' && *q <= '9'; q++) k = k * 10 + (*q - '0');
            if (k >= self->sst_n) { self->fail = "a shared-string index past the table"; return -1; }
            buf_put(b, self->sst + self->sst_off[k], (Py_ssize_t)(self->sst_off[k + 1] - self->sst_off[k]));
        } else if (tl == 1 && *tv == 'b') {
            if (vend == s) return 0;
            buf_put(b, *s == '1' ? "TRUE" : "FALSE", *s == '1' ? 4 : 5);
        } else if ((tl == 3 && !memcmp(tv, "str", 3)) || (tl == 1 && (*tv == 'e' || *tv == 'd'))) {
            put_text(b, s, vend);
        } else {
            if (vend == s) return 0;
            int is_date = 0;
            if (sv) {
                long long st = 0;
                for (const char *q = sv; q < sve && *q >= '0' && *q <= '9'; q++) st = st * 10 + (*q - '0');
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
            if (put_number(b, s, vend)) return -1;
        }
    }
done:
    return !blank(b->p, b->len);  /* whitespace only counts as blank, as in cell_to_text */
}

static int column_letters(const char *s, const char *e, Py_ssize_t *col) {
    Py_ssize_t c = 0;
    const char *q = s;
    for (; q < e && *q >= 'A' && *q <= 'Z'; q++) c = c * 26 + (*q - 'A' + 1);
    if (q == s) return 0;
    *col = c - 1;
    return 1;
}

static int append_null(Scanner *self, Py_ssize_t j) {
    int32_t off = (int32_t)self->data[j].len;
    char z = 0;
    if (buf_put(&self->offs[j], (const char *)&off, 4)) return -1;
    return buf_put(&self->valid[j], &z, 1);
}

/* Parse complete rows in [s, e). Head mode appends (row, col, text) to `out`. */
static int scan(Scanner *self, const char *s, const char *e, PyObject *out, int *done) {
    long long row = self->last_row;
    Py_ssize_t next_col = 0;      /* columns filled in the current row (column mode) */
    Py_ssize_t cursor = 0;        /* position of a cell without an r attribute */
    int in_row = 0, row_has_value = 0, skip_row = 0;
    Py_ssize_t row_start = 0;     /* rows.len before the row, to roll a blank row back */
    while (s < e) {
        const char *lt = memchr(s, '<', (size_t)(e - s));
        if (!lt) break;
        if (lt + 1 < e && lt[1] == '/') {
            if (tag_is(lt + 1, e, "row", 3) || (e - lt >= 6 && !memcmp(lt, "</row>", 6))) {
                goto end_row;
            }
            if (e - lt >= 12 && !memcmp(lt, "</sheetData", 11)) { *done = 1; break; }
            s = lt + 2;
            continue;
        }
        const char *gt = tag_end(lt, e);
        if (!gt) { self->fail = "a tag cut off"; return -1; }
        if (tag_is(lt, e, "row", 3)) {
            const char *v, *ve;
            long long r = row + 1;
            if (attr(lt, gt, "r", 1, &v, &ve)) {
                r = 0;
                for (const char *q = v; q < ve && *q >= '0' && *q <= '9'; q++) r = r * 10 + (*q - '0');
            }
            row = r;
            in_row = 1; row_has_value = 0; next_col = 0; cursor = 0;
            skip_row = out == NULL && row <= self->header_row;
            row_start = self->nrows;
            if (gt[-1] == '/') { in_row = 0; }
            s = gt + 1;
            continue;
        }
        if (tag_is(lt, e, "c", 1)) {
            const char *close = gt;
            int selfclosing = gt[-1] == '/';
            if (!selfclosing) {
                close = find(gt + 1, e, "</c>", 4);
                if (!close) { self->fail = "a cell without its end tag"; return -1; }
            }
            CellAttrs ca;
            cell_attrs(lt, gt, &ca);
            Py_ssize_t col = cursor;
            if (ca.r) column_letters(ca.r, ca.re, &col);
            cursor = col + 1;
            s = selfclosing ? gt + 1 : close + 4;
            if (selfclosing || skip_row || !in_row) continue;
            int has = cell_value(self, &ca, gt, close);
            if (has < 0) return -1;
            if (!has) continue;
            if (out) {
                PyObject *t = Py_BuildValue("(LnN)", row, col,
                                            PyUnicode_DecodeUTF8(self->cell.p, self->cell.len, "replace"));
                if (!t || PyList_Append(out, t)) { Py_XDECREF(t); return -1; }
                Py_DECREF(t);
                continue;
            }
            if (self->count_only) {
                if (!self->first_value_row) self->first_value_row = row;
                self->last_value_row = row;
                continue;
            }
            if (col >= self->width || col < next_col) {
                if (self->err_row == 0) {
                    self->err_row = row;
                    self->err_col = col;
                    self->err_text = PyUnicode_DecodeUTF8(self->cell.p, self->cell.len, "replace");
                    self->fail = col >= self->width ? "value right of the last headed column"
                                                    : "cells out of column order";
                }
                return -2;
            }
            if (!row_has_value) {
                row_has_value = 1;
                row_start = self->nrows;
                if (buf_put(&self->rows, (const char *)&row, 8)) return -1;
                self->nrows++;
            }
            for (; next_col < col; next_col++) if (append_null(self, next_col)) return -1;
            Buf *d = &self->data[col];
            if (buf_put(d, self->cell.p, self->cell.len)) return -1;
            int32_t off = (int32_t)d->len;
            char one = 1;
            if (buf_put(&self->offs[col], (const char *)&off, 4)) return -1;
            if (buf_put(&self->valid[col], &one, 1)) return -1;
            next_col = col + 1;
            continue;
        }
        s = gt + 1;
        continue;
    end_row:
        if (in_row && row_has_value && out == NULL) {
            for (; next_col < self->width; next_col++) if (append_null(self, next_col)) return -1;
        }
        (void)row_start;
        in_row = 0;
        s = lt + 6;
    }
    self->last_row = row;
    if (out == NULL && in_row && row_has_value) { self->fail = "a row cut off"; return -1; }
    return 0;
}

static PyObject *Scanner_feed(Scanner *self, PyObject *args) {
    Py_buffer view;
    int head = 0;
    if (!PyArg_ParseTuple(args, "y*|p", &view, &head)) return NULL;
    PyObject *out = NULL;
    if (head) {
        out = PyList_New(0);
        if (!out) { PyBuffer_Release(&view); return NULL; }
    } else if (!self->data) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_RuntimeError, "configure() the columns before feeding rows");
        return NULL;
    }
    int done = 0, rc;
    if (head) {
        rc = scan(self, view.buf, (const char *)view.buf + view.len, out, &done);
    } else {
        Py_BEGIN_ALLOW_THREADS
        rc = scan(self, view.buf, (const char *)view.buf + view.len, NULL, &done);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&view);
    if (rc == -1 && PyErr_Occurred()) { Py_XDECREF(out); return NULL; }
    if (rc < 0) {
        Py_XDECREF(out);
        if (rc == -2) {
            return Py_BuildValue("(sLnO)", self->fail, self->err_row, self->err_col,
                                 self->err_text ? self->err_text : Py_None);
        }
        PyErr_Format(PyExc_ValueError, "malformed sheet XML near row %lld: %s", self->last_row,
                     self->fail ? self->fail : "out of memory");
        return NULL;
    }
    if (head) return out;
    return PyLong_FromSsize_t(self->nrows);
}

static PyObject *Scanner_configure(Scanner *self, PyObject *args) {
    Py_ssize_t width;
    long long header_row;
    int count_only = 0;
    if (!PyArg_ParseTuple(args, "nL|p", &width, &header_row, &count_only)) return NULL;
    self->count_only = count_only;
    self->first_value_row = self->last_value_row = 0;
    scanner_free_columns(self);
    self->width = width;
    self->header_row = header_row;
    self->last_row = 0;
    self->data = calloc((size_t)width + 1, sizeof(Buf));
    self->offs = calloc((size_t)width + 1, sizeof(Buf));
    self->valid = calloc((size_t)width + 1, sizeof(Buf));
    if (!self->data || !self->offs || !self->valid) return PyErr_NoMemory();
    if (reset_columns(self)) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

/* The rows collected so far as (n, row_numbers, [(offsets, data, validity, nulls)...]). */
static PyObject *Scanner_take(Scanner *self, PyObject *Py_UNUSED(ignored)) {
    if (!self->data) { PyErr_SetString(PyExc_RuntimeError, "not configured"); return NULL; }
    Py_ssize_t n = self->nrows;
    PyObject *cols = PyList_New(self->width);
    if (!cols) return NULL;
    Py_ssize_t nbytes = (n + 7) / 8;
    for (Py_ssize_t j = 0; j < self->width; j++) {
        PyObject *bitmap = PyBytes_FromStringAndSize(NULL, nbytes);
        if (!bitmap) { Py_DECREF(cols); return NULL; }
        unsigned char *bm = (unsigned char *)PyBytes_AS_STRING(bitmap);
        memset(bm, 0, (size_t)nbytes);
        Py_ssize_t nulls = 0;
        const char *v = self->valid[j].p;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (v[i]) bm[i >> 3] |= (unsigned char)(1u << (i & 7));
            else nulls++;
        }
        PyObject *t = Py_BuildValue("(y#y#Nn)", self->offs[j].p, self->offs[j].len,
                                    self->data[j].p ? self->data[j].p : "", self->data[j].len,
                                    bitmap, nulls);
        if (!t) { Py_DECREF(cols); return NULL; }
        PyList_SET_ITEM(cols, j, t);
    }
    PyObject *res = Py_BuildValue("(ny#N)", n, self->rows.p ? self->rows.p : "", self->rows.len, cols);
    if (reset_columns(self)) { Py_XDECREF(res); return PyErr_NoMemory(); }
    return res;
}

static PyObject *Scanner_extent(Scanner *self, PyObject *Py_UNUSED(ignored)) {
    if (!self->first_value_row) Py_RETURN_NONE;
    return Py_BuildValue("(LL)", self->first_value_row, self->last_value_row);
}

static PyObject *Scanner_pending(Scanner *self, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromSsize_t(self->nrows);
}

static PyMethodDef Scanner_methods[] = {
    {"feed", (PyCFunction)Scanner_feed, METH_VARARGS,
     "feed(xml, head=False): parse complete rows. Head mode returns [(row, col, text)]; "
     "column mode returns the rows pending, or (problem, row, col, text) for a value outside "
     "the columns."},
    {"configure", (PyCFunction)Scanner_configure, METH_VARARGS,
     "configure(width, header_row, count_only=False): keep columns 0..width-1 of rows below "
     "header_row; with count_only, keep only the extent of the rows holding values."},
    {"take", (PyCFunction)Scanner_take, METH_NOARGS,
     "take(): (rows, row_numbers int64, [(offsets int32, data, validity bitmap, nulls)])."},
    {"pending", (PyCFunction)Scanner_pending, METH_NOARGS, "rows collected, not yet taken"},
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

/* sharedStrings.xml -> (data, int64 offsets): each <si> as its text. */
static PyObject *shared_strings(PyObject *Py_UNUSED(mod), PyObject *args) {
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "y*", &view)) return NULL;
    const char *s = view.buf, *e = s + view.len;
    Buf data = {0}, offs = {0};
    int64_t zero = 0;
    int bad = buf_put(&offs, (const char *)&zero, 8);
    Py_BEGIN_ALLOW_THREADS
    while (!bad && s < e) {
        const char *si = find(s, e, "<si", 3);
        if (!si) break;
        if (!tag_is(si, e, "si", 2)) { s = si + 3; continue; }
        const char *gt = tag_end(si, e);
        if (!gt) { bad = 1; break; }
        if (gt[-1] != '/') {
            const char *close = find(gt + 1, e, "</si>", 5);
            if (!close) { bad = 1; break; }
            if (put_rich(&data, gt + 1, close)) { bad = 1; break; }
            s = close + 5;
        } else {
            s = gt + 1;
        }
        int64_t off = (int64_t)data.len;
        if (buf_put(&offs, (const char *)&off, 8)) bad = 1;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (bad) {
        buf_free(&data); buf_free(&offs);
        PyErr_SetString(PyExc_ValueError, "malformed shared strings XML");
        return NULL;
    }
    PyObject *res = Py_BuildValue("(y#y#)", data.p ? data.p : "", data.len, offs.p, offs.len);
    buf_free(&data); buf_free(&offs);
    return res;
}

static PyMethodDef module_methods[] = {
    {"shared_strings", shared_strings, METH_VARARGS,
     "shared_strings(xml) -> (data, offsets int64): the shared-string table as one buffer."},
    {NULL}
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_xlsxscan", "Streaming SpreadsheetML scanner.", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__xlsxscan(void) {
    if (PyType_Ready(&ScannerType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (!m) return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
