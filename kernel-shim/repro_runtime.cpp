// The scenario-independent part of a generated C reproducer (kernel-shim/repro.h): the same
// replay procedure as replay_exec.cpp (one thread per actor, steps forced at syscall
// granularity, "blocked" = asleep in handle_userfault per /proc, then the natural order), in
// plain C so that a bug report needs nothing but `cc -pthread`.  It reads the tables the
// generator emits before it (CTX, REG, PAGE, THR, MON, STEP, OBS, EXPECTED).

namespace fl::shim::detail {

extern const char kReproRuntime[];
const char kReproRuntime[] = R"FLRT(
/* ---- runtime (identical in every reproducer) ---- */
enum { SRC_DATA, SRC_ZERO, SRC_POISON };
#define SRC_BYTE(p) ((unsigned char)(0x80 | ((p) & 0x3f)))
#define STALE_BYTE(p) ((unsigned char)(0x40 | ((p) & 0x3f)))
#define READ_OFF 0x100
#define WRITE_OFF 0x800
#define WRITE_BYTE 0x5a

struct obs { char label[48]; int out; };
struct worker {
  pthread_t th; pid_t tid; pthread_mutex_t mu; pthread_cond_t cv;
  int seq, done_seq; int kind, arg; /* kind: 0 op, 1 read, 2 resolve */
  int actor; int is_monitor;
  atomic_int busy;
};
static struct { char *base; size_t gran, len; int memfd; char *src; } RG[NREG];
static int UFD[NCTX > 0 ? NCTX : 1], CLOSED[NCTX > 0 ? NCTX : 1];
static struct worker TW[NTHR > 0 ? NTHR : 1], MW[NMON > 0 ? NMON : 1];
static int STARTED[NTHR > 0 ? NTHR : 1];
static atomic_int COMPLETED[NTHR > 0 ? NTHR : 1];
static struct obs OB[NTHR > 0 ? NTHR : 1][NOPS_MAX];
/* Per monitor: the page-fault messages read and not answered yet (oldest first), and whether the
   oldest got -EAGAIN and waits for a retry after the events were read. */
#define QMAX 16
static int MHAVE[NMON > 0 ? NMON : 1], MPAGE[NMON > 0 ? NMON : 1][QMAX], MREASON[NMON > 0 ? NMON : 1][QMAX];
static int MDEFERRED[NMON > 0 ? NMON : 1], MREAD[NMON > 0 ? NMON : 1];
static __thread sigjmp_buf fault_env;
static __thread volatile int fault_armed, fault_signo, fault_code;

static void die(const char *what) { fprintf(stderr, "setup: %s: %s\n", what, strerror(errno)); _exit(2); }
static char *page_addr(int p) { return RG[PAGE[p].region].base + (size_t)PAGE[p].index * RG[PAGE[p].region].gran; }
static char *src_addr(int p) { return RG[PAGE[p].region].src + (size_t)PAGE[p].index * RG[PAGE[p].region].gran; }
static size_t gran(int p) { return RG[PAGE[p].region].gran; }
static off_t file_off(int p) { return (off_t)((size_t)PAGE[p].index * gran(p)); }
static unsigned char source_fill(int p) {
  return PAGE[p].src == SRC_DATA ? SRC_BYTE(p) : PAGE[p].src == SRC_ZERO ? 0 : STALE_BYTE(p);
}

static void on_fault(int sig, siginfo_t *info, void *uc) {
  (void)uc;
  if (!fault_armed) { signal(sig, SIG_DFL); return; }
  fault_armed = 0; fault_signo = sig; fault_code = info->si_code;
  siglongjmp(fault_env, 1);
}

static void set_label(struct obs *o, const char *l) { snprintf(o->label, sizeof o->label, "%s", l); }
static void errno_label(struct obs *o, int e) {
  const char *n = e == 0 ? "OK" : e == EEXIST ? "EEXIST" : e == EAGAIN ? "EAGAIN" : e == ENOENT ? "ENOENT"
      : e == EFAULT ? "EFAULT" : e == EHWPOISON ? "EHWPOISON" : e == EINVAL ? "EINVAL" : e == EIO ? "EIO"
      : e == EBADF ? "EBADF" : NULL;
  if (n) set_label(o, n); else snprintf(o->label, sizeof o->label, "errno_%d", e);
}
static void data_label(struct obs *o, int p, unsigned char b) {
  if (b == 0) set_label(o, "DATA_ZERO");
  else if (b == SRC_BYTE(p)) set_label(o, "DATA_SRC");
  else if (b == STALE_BYTE(p)) set_label(o, "DATA_STALE");
  else snprintf(o->label, sizeof o->label, "DATA_0x%02x", b);
}

static void user_access(struct obs *o, const struct op_desc *op) {
  volatile unsigned char *a = (volatile unsigned char *)page_addr(op->page) + (op->op == OP_WRITE ? WRITE_OFF : READ_OFF);
  volatile unsigned char v = 0; /* volatile: it must survive the siglongjmp */
  if (sigsetjmp(fault_env, 1) == 0) {
    fault_armed = 1;
    if (op->op == OP_WRITE) *a = WRITE_BYTE; else v = *a;
    fault_armed = 0;
    if (op->op == OP_WRITE) set_label(o, "OK"); else data_label(o, op->page, v);
    return;
  }
  if (fault_signo == SIGBUS && fault_code == BUS_ADRERR) set_label(o, "SIGBUS_ADRERR");
  else if (fault_signo == SIGBUS && fault_code == BUS_MCEERR_AR) set_label(o, "SIGBUS_MCEERR");
  else if (fault_signo == SIGSEGV) set_label(o, "SIGSEGV");
  else snprintf(o->label, sizeof o->label, "SIG%d_code%d", fault_signo, fault_code);
}

static void syscall_access(struct obs *o, const struct op_desc *op) {
  int fds[2]; unsigned char b = WRITE_BYTE; ssize_t n;
  if (pipe(fds) != 0) { errno_label(o, errno); return; }
  if (op->op == OP_SYSREAD) {
    n = write(fds[1], page_addr(op->page) + READ_OFF, 1);
    if (n == 1 && read(fds[0], &b, 1) == 1) data_label(o, op->page, b); else errno_label(o, n < 0 ? errno : EIO);
  } else {
    if (write(fds[1], &b, 1) != 1) errno_label(o, EIO);
    n = read(fds[0], page_addr(op->page) + WRITE_OFF, 1);
    errno_label(o, n == 1 ? 0 : n < 0 ? errno : EIO);
  }
  close(fds[0]); close(fds[1]);
}

/* A fill ioctl: the struct's output field follows the range/len in every layout used here. */
static int fill(int fd, int op, char *dst, char *src, size_t len, unsigned long long mode, long long *out) {
  int rc;
  if (op == OP_COPY) { struct uffdio_copy a = {(unsigned long)dst, (unsigned long)src, len, mode, 0}; rc = ioctl(fd, UFFDIO_COPY, &a); *out = a.copy; }
  else if (op == OP_ZEROPAGE) { struct uffdio_zeropage a = {{(unsigned long)dst, len}, mode, 0}; rc = ioctl(fd, UFFDIO_ZEROPAGE, &a); *out = a.zeropage; }
  else if (op == OP_CONTINUE) { struct uffdio_continue a = {{(unsigned long)dst, len}, mode, 0}; rc = ioctl(fd, UFFDIO_CONTINUE, &a); *out = a.mapped; }
  else { struct fl_uffdio_poison a = {{(unsigned long)dst, len}, mode, 0}; rc = ioctl(fd, FL_UFFDIO_POISON, &a); *out = a.updated; }
  return rc == 0 ? 0 : errno;
}
static int wp_range(int fd, char *a, size_t len, unsigned long long mode) {
  struct uffdio_writeprotect w = {{(unsigned long)a, len}, mode};
  return ioctl(fd, UFFDIO_WRITEPROTECT, &w) == 0 ? 0 : errno;
}
static int wake_range(int fd, char *a, size_t len) {
  struct uffdio_range r = {(unsigned long)a, len};
  return ioctl(fd, UFFDIO_WAKE, &r) == 0 ? 0 : errno;
}

static void do_op(struct obs *o, const struct op_desc *op) {
  size_t len = op->op == OP_CLOSE ? 0 : gran(op->page) * (size_t)op->len;
  char *a = op->op == OP_CLOSE ? NULL : page_addr(op->page);
  long long out = 0; int e;
  o->out = -1;
  if (op->ctx >= 0 && CLOSED[op->ctx] && op->op != OP_CLOSE) { errno_label(o, EBADF); return; }
  switch (op->op) {
  case OP_READ: case OP_WRITE: user_access(o, op); return;
  case OP_SYSREAD: case OP_SYSWRITE: syscall_access(o, op); return;
  case OP_POPREAD: case OP_POPWRITE:
    errno_label(o, madvise(a, gran(op->page), op->op == OP_POPREAD ? FL_MADV_POPULATE_READ : FL_MADV_POPULATE_WRITE) == 0 ? 0 : errno); return;
  case OP_COPY: case OP_ZEROPAGE: case OP_CONTINUE: case OP_POISON: {
    unsigned long long mode = op->dontwake ? 1 : 0;
    if (op->wp) mode |= 2;
    e = fill(UFD[op->ctx], op->op, a, src_addr(op->page), len, mode, &out);
    errno_label(o, e); o->out = out > 0 ? (int)(out / (long long)gran(op->page)) : 0; return;
  }
  case OP_WAKE: errno_label(o, wake_range(UFD[op->ctx], a, len)); return;
  case OP_PROTECT: case OP_UNPROTECT:
    errno_label(o, wp_range(UFD[op->ctx], a, len, (op->op == OP_PROTECT ? UFFDIO_WRITEPROTECT_MODE_WP : 0) | (op->dontwake ? UFFDIO_WRITEPROTECT_MODE_DONTWAKE : 0))); return;
  case OP_DONTNEED: errno_label(o, madvise(a, len, MADV_DONTNEED) == 0 ? 0 : errno); return;
  case OP_PUNCH:
    errno_label(o, fallocate(RG[PAGE[op->page].region].memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, file_off(op->page), (off_t)len) == 0 ? 0 : errno); return;
  case OP_CLOSE: close(UFD[op->ctx]); CLOSED[op->ctx] = 1; set_label(o, "OK"); return;
  }
}

static int page_of(unsigned long long addr) {
  for (int r = 0; r < NREG; ++r) {
    unsigned long long b = (unsigned long)RG[r].base;
    if (addr >= b && addr < b + RG[r].len) return REGION[r].first + (int)((addr - b) / RG[r].gran);
  }
  return -1;
}

/* Reads one message: a page fault is kept; an event is handled at once (reading completes it;
   with wake-on-remove a REMOVE / UNMAP event is followed by UFFDIO_WAKE of its range). */
static void monitor_read(int m, int timeout_ms) {
  struct pollfd pfd = {UFD[MON[m].ctx], POLLIN, 0};
  struct uffd_msg msg;
  if (poll(&pfd, 1, timeout_ms) <= 0 || read(pfd.fd, &msg, sizeof msg) != (ssize_t)sizeof msg) return;
  MREAD[m]++;
  if (msg.event == UFFD_EVENT_PAGEFAULT) {
    int p = page_of(msg.arg.pagefault.address);
    if (p < 0 || MHAVE[m] >= QMAX) return;
    MPAGE[m][MHAVE[m]] = p;
    MREASON[m][MHAVE[m]] = (msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR) ? 3 : (msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) ? 2 : 1;
    MHAVE[m]++;
    return;
  }
  if (msg.event == UFFD_EVENT_FORK) close((int)msg.arg.fork.ufd);
  if ((msg.event == UFFD_EVENT_REMOVE || msg.event == UFFD_EVENT_UNMAP) && MON[m].wake_on_remove)
    wake_range(pfd.fd, (char *)(unsigned long)msg.arg.remove.start, (size_t)(msg.arg.remove.end - msg.arg.remove.start));
}

static void monitor_resolve(int m) {
  int p = MPAGE[m][0], reason = MREASON[m][0], fd = UFD[MON[m].ctx], e = 0; long long out;
  const struct region_desc *r = &REGION[PAGE[p].region];
  if (reason == 2) { if (r->modes & 2) e = wp_range(fd, page_addr(p), gran(p), 0); }
  else if (PAGE[p].src == SRC_POISON) e = fill(fd, OP_POISON, page_addr(p), NULL, gran(p), 0, &out);
  else if (reason == 3) {
    char *buf = malloc(gran(p));
    memset(buf, source_fill(p), gran(p));
    if (pwrite(RG[PAGE[p].region].memfd, buf, gran(p), file_off(p)) < 0) perror("pwrite");
    free(buf);
    e = fill(fd, OP_CONTINUE, page_addr(p), NULL, gran(p), 0, &out);
  } else if (PAGE[p].src == SRC_ZERO && r->mem != 2) e = fill(fd, OP_ZEROPAGE, page_addr(p), NULL, gran(p), 0, &out);
  else e = fill(fd, OP_COPY, page_addr(p), src_addr(p), gran(p), 0, &out);
  if (e == EEXIST && MON[m].wake_after_eexist) wake_range(fd, page_addr(p), gran(p));
  if (e == EAGAIN && !MON[m].forget_eagain) { MDEFERRED[m] = 1; MREAD[m] = 0; return; }
  MDEFERRED[m] = 0;
  for (int i = 1; i < MHAVE[m]; ++i) { MPAGE[m][i - 1] = MPAGE[m][i]; MREASON[m][i - 1] = MREASON[m][i]; }
  MHAVE[m]--;
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  __atomic_store_n(&w->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (w->seq == w->done_seq) pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    if (!w->is_monitor) {
      do_op(&OB[w->actor][w->arg], &THR[w->actor].ops[w->arg]);
      atomic_store(&COMPLETED[w->actor], w->arg + 1);
    } else if (w->kind == 1) monitor_read(w->actor, w->arg);
    else monitor_resolve(w->actor);
    pthread_mutex_lock(&w->mu);
    w->done_seq = w->seq;
    atomic_store(&w->busy, 0);
  }
  return NULL;
}
static void start_worker(struct worker *w, int actor, int is_monitor) {
  w->actor = actor; w->is_monitor = is_monitor;
  pthread_mutex_init(&w->mu, NULL); pthread_cond_init(&w->cv, NULL);
  if (pthread_create(&w->th, NULL, worker_main, w) != 0) die("pthread_create");
  while (__atomic_load_n(&w->tid, __ATOMIC_SEQ_CST) == 0) sched_yield();
}
static void post(struct worker *w, int kind, int arg) {
  pthread_mutex_lock(&w->mu);
  w->kind = kind; w->arg = arg; atomic_store(&w->busy, 1); w->seq++;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

/* 1 if the thread sleeps in handle_userfault (or sleeps and the kernel hides wchan). */
static int asleep_in_userfault(pid_t tid) {
  char path[64], buf[512]; int fd; ssize_t n; char *paren;
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
  if ((fd = open(path, O_RDONLY)) < 0) return 0;
  n = read(fd, buf, sizeof buf - 1); close(fd);
  if (n <= 0) return 0;
  buf[n] = 0; paren = strrchr(buf, ')');
  if (!paren || (paren[2] != 'S' && paren[2] != 'D')) return 0;
  snprintf(path, sizeof path, "/proc/self/task/%d/wchan", tid);
  if ((fd = open(path, O_RDONLY)) < 0) return 2;
  n = read(fd, buf, sizeof buf - 1); close(fd);
  buf[n > 0 ? n : 0] = 0;
  /* handle_userfault, or an event generator in userfaultfd_event_wait_completion (maybe inlined). */
  if (strstr(buf, "userfault") != NULL) return 1;
  return (n <= 0 || strcmp(buf, "0") == 0) ? 2 : 0;
}
static int in_flight(int t) { return STARTED[t] > atomic_load(&COMPLETED[t]); }
static void settle(void) {
  int stable[NTHR > 0 ? NTHR : 1] = {0};
  for (int polls = 0; polls < 40000; ++polls) {
    int quiet = 1;
    for (int m = 0; m < NMON; ++m) if (atomic_load(&MW[m].busy)) quiet = 0;
    for (int t = 0; t < NTHR; ++t) {
      int s;
      if (!in_flight(t)) continue;
      s = asleep_in_userfault(TW[t].tid);
      if (s == 1 || (s == 2 && ++stable[t] >= 5)) continue;
      if (s != 2) stable[t] = 0;
      quiet = 0;
    }
    if (quiet) return;
    usleep(50);
  }
  fprintf(stderr, "note: a step neither completed nor blocked in handle_userfault\n");
}
static void start_op(int t) { post(&TW[t], 0, STARTED[t]++); settle(); }
static int monitor_ready(int m) { return !CLOSED[MON[m].ctx]; }

static void setup(void) {
  struct sigaction sa; memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault; sa.sa_flags = SA_SIGINFO;
  sigaction(SIGBUS, &sa, NULL); sigaction(SIGSEGV, &sa, NULL);
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  for (int c = 0; c < NCTX; ++c) {
    struct uffdio_api api = {UFFD_API, CTX[c].features, 0};
    UFD[c] = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | (CTX[c].user_mode_only ? 1 : 0));
    if (UFD[c] < 0) die("userfaultfd");
    if (ioctl(UFD[c], UFFDIO_API, &api) != 0) die("UFFDIO_API");
  }
  for (int r = 0; r < NREG; ++r) {
    int huge = REGION[r].mem == 2, shared = REGION[r].mem != 0;
    RG[r].gran = huge ? HUGE_BYTES : ps;
    RG[r].len = RG[r].gran * (size_t)REGION[r].pages;
    RG[r].memfd = -1;
    if (shared) {
      RG[r].memfd = memfd_create("faultline-repro", MFD_CLOEXEC | (huge ? MFD_HUGETLB : 0));
      if (RG[r].memfd < 0 || ftruncate(RG[r].memfd, (off_t)RG[r].len) != 0) die("memfd");
    }
    RG[r].base = mmap(NULL, RG[r].len, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS, RG[r].memfd, 0);
    RG[r].src = mmap(NULL, RG[r].len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (RG[r].base == MAP_FAILED || RG[r].src == MAP_FAILED) die("mmap");
  }
  for (int p = 0; p < NPAGE; ++p) {
    memset(src_addr(p), source_fill(p), gran(p));
    if (PAGE[p].init == 1 || PAGE[p].init == 2) memset(page_addr(p), source_fill(p), gran(p));
    if (PAGE[p].init == 5 && madvise(page_addr(p), gran(p), FL_MADV_GUARD_INSTALL) != 0) die("MADV_GUARD_INSTALL");
    if ((PAGE[p].init == 6 && PAGE[p].src != SRC_POISON) || PAGE[p].init == 7) {
      char *buf = malloc(gran(p));
      memset(buf, PAGE[p].init == 7 ? STALE_BYTE(p) : source_fill(p), gran(p));
      if (pwrite(RG[PAGE[p].region].memfd, buf, gran(p), file_off(p)) < 0) die("pwrite");
      free(buf);
    }
  }
  for (int r = 0; r < NREG; ++r) {
    if (REGION[r].ctx < 0) continue;
    struct uffdio_register reg = {{(unsigned long)RG[r].base, RG[r].len}, (unsigned long long)REGION[r].modes, 0};
    if (ioctl(UFD[REGION[r].ctx], UFFDIO_REGISTER, &reg) != 0) die("UFFDIO_REGISTER");
  }
  for (int p = 0; p < NPAGE; ++p) {
    int c = REGION[PAGE[p].region].ctx, fd; long long out;
    if (c < 0) continue;
    fd = UFD[c];
    if (PAGE[p].init == 4 && fill(fd, OP_POISON, page_addr(p), NULL, gran(p), 1, &out) != 0) die("UFFDIO_POISON");
    if ((PAGE[p].init == 2 || PAGE[p].init == 3) && wp_range(fd, page_addr(p), gran(p), UFFDIO_WRITEPROTECT_MODE_WP) != 0) die("UFFDIO_WRITEPROTECT");
  }
  for (int t = 0; t < NTHR; ++t) start_worker(&TW[t], t, 0);
  for (int m = 0; m < NMON; ++m) start_worker(&MW[m], m, 1);
}

static void run_once(char *line, size_t cap) {
  setup();
  for (int i = 0; i < NSTEP; ++i) {
    const struct step_desc *s = &STEP[i];
    if (s->kind == 0) {
      if (!in_flight(s->actor) && STARTED[s->actor] == s->op) start_op(s->actor);
      else fprintf(stderr, "note: step %d (%s op %d) skipped: the thread is not there\n", i, THR[s->actor].name, s->op);
    } else if (!monitor_ready(s->actor)) {
      fprintf(stderr, "note: step %d skipped: the monitor's userfaultfd is closed\n", i);
    } else if (s->kind == 1) {
      int before = MREAD[s->actor];
      post(&MW[s->actor], 1, 20); settle();
      if (MREAD[s->actor] == before) fprintf(stderr, "note: step %d: no message to read\n", i);
    } else if (s->kind == 2 && MHAVE[s->actor]) {
      post(&MW[s->actor], 2, 0); settle();
    } else {
      fprintf(stderr, "note: step %d skipped: the monitor is not there\n", i);
    }
  }
  for (int guard = 0; guard < 256; ++guard) {
    int moved = 0;
    for (int t = 0; t < NTHR && !moved; ++t)
      if (!in_flight(t) && STARTED[t] < THR[t].nops) { start_op(t); moved = 1; }
    for (int m = 0; m < NMON && !moved; ++m) {
      int before = MREAD[m];
      if (!monitor_ready(m)) continue;
      if (MHAVE[m] && !MDEFERRED[m]) { post(&MW[m], 2, 0); settle(); moved = 1; continue; }
      post(&MW[m], 1, 0); settle();
      if (MREAD[m] != before) moved = 1;
      else if (MDEFERRED[m] && MREAD[m] > 0) { post(&MW[m], 2, 0); settle(); moved = 1; }
    }
    if (!moved) break;
  }
  line[0] = 0;
  for (int i = 0; i < NOBS; ++i) {
    char value[64] = "?";
    for (int t = 0; t < NTHR; ++t) for (int k = 0; k < THR[t].nops; ++k) {
      const struct op_desc *op = &THR[t].ops[k];
      int is_out = 0, done = atomic_load(&COMPLETED[t]);
      size_t rl = op->reg ? strlen(op->reg) : 0;
      if (!op->reg) continue;
      if (strcmp(op->reg, OBS[i]) != 0) {
        if (!(op->len > 1 && strncmp(op->reg, OBS[i], rl) == 0 && strcmp(OBS[i] + rl, "_out") == 0)) continue;
        is_out = 1;
      }
      if (is_out) snprintf(value, sizeof value, "%d", k < done && OB[t][k].out > 0 ? OB[t][k].out : 0);
      else if (k < done) snprintf(value, sizeof value, "%s", OB[t][k].label);
      else if (k < STARTED[t]) snprintf(value, sizeof value, "%s", asleep_in_userfault(TW[t].tid) ? "BLOCKED" : "STUCK");
      else snprintf(value, sizeof value, "PENDING");
    }
    snprintf(line + strlen(line), cap - strlen(line), "%s%s=%s", i ? " " : "", OBS[i], value);
  }
}

int main(int argc, char **argv) {
  int runs = 1, reproduced = 0, failed = 0;
  for (int i = 1; i + 1 < argc; ++i) if (strcmp(argv[i], "--runs") == 0) runs = atoi(argv[i + 1]);
  if (runs < 1) runs = 1;
  printf("%s\nexpected (the model's prediction after the trace):\n", TITLE);
  for (int e = 0; e < NEXPECTED; ++e) printf("  %s\n", EXPECTED[e]);
  fflush(stdout);
  for (int run = 0; run < runs; ++run) {
    int fds[2], status = 0; char line[1024] = ""; ssize_t n, got = 0; pid_t pid;
    if (pipe(fds) != 0) { perror("pipe"); return 2; }
    pid = fork();
    if (pid < 0) { perror("fork"); return 2; }
    if (pid == 0) {
      char out[1024];
      close(fds[0]);
      alarm(10); /* the watchdog: a hung run dies by SIGALRM */
      run_once(out, sizeof out);
      if (write(fds[1], out, strlen(out)) < 0) _exit(3);
      _exit(0);
    }
    close(fds[1]);
    while ((n = read(fds[0], line + got, sizeof line - 1 - (size_t)got)) > 0) got += n;
    line[got] = 0;
    close(fds[0]);
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2) { failed = 1; break; }
    if (got == 0) snprintf(line, sizeof line, "(the run died: status 0x%x)", status);
    int match = 0;
    for (int e = 0; e < NEXPECTED; ++e) if (strcmp(line, EXPECTED[e]) == 0) match = 1;
    reproduced += match;
    int allowed = 0;
    for (int e = 0; e < NALLOWED; ++e) if (strcmp(line, ALLOWED[e]) == 0) allowed = 1;
    printf("run %d: %s  %s\n", run + 1, line,
           match ? "reproduced" : allowed ? "differs from the trace's prediction (another order the model allows)"
                                          : "DIFFERS: the model does not allow this outcome at all");
  }
  if (failed) { printf("setup failed on this kernel (see above)\n"); return 2; }
  printf("%d of %d runs reproduced the trace\n", reproduced, runs);
  return reproduced == runs ? 0 : 1;
}
)FLRT";

}  // namespace fl::shim::detail
