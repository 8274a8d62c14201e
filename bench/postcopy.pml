/*
 * faultline's copy of the Promela twin of the benchmark model, so that the
 * SPIN comparison (tests/sim/spin_test.cpp, bench/) reproduces from a clean
 * clone.  Source: shared/bench/postcopy.pml, written to the specification
 * shared/bench/postcopy-model.md ("Benchmark model: postcopy(V, P)").
 * Keep it identical to that file apart from this comment.
 */
/*
 * postcopy(V, P) -- post-copy demand paging, the benchmark model of
 * shared/bench/postcopy-model.md written in Promela.
 *
 * Parameters (pass to spin as -D macros, e.g. spin -DV=3 -DP=6 -a postcopy.pml):
 *   V              number of vCPUs            (>= 1, default 2)
 *   P              number of guest pages      (1..32, default 4)
 *   WAKE_PREFETCH  1 = correct model (default), 0 = buggy variant
 *
 * Shape (so that SPIN's "states, stored" with -DNOREDUCE is exactly the
 * number of distinct reachable states of the spec's state vector):
 *   - every transition of the spec is ONE d_step, an option of a do loop;
 *     between transitions each process sits at its loop head, so process
 *     program counters add no states;
 *   - the only exception is a vCPU's last access (pc[v] becomes P): that
 *     d_step is followed by `break`, so the vCPU process sits at its
 *     closing brace exactly when pc[v] == P (a 1:1 mapping, no extra
 *     states), and that is a valid end state for SPIN.  vCPU processes are
 *     created before the handler and the prefetcher, which never terminate,
 *     so a finished vCPU is never removed (removal would be an extra step);
 *   - loop counters used inside d_steps are `hidden` (not in the state
 *     vector) and are always (re)initialised before use;
 *   - no other variables: the state vector is exactly pte[], pending[],
 *     pc[], blocked[], handler, prefetch_pc.
 *
 * Properties:
 *   data, no-lost-wakeup  asserts evaluated at the end of every d_step, over
 *                         the whole state (all p, all v);
 *   no-stuck-vcpu         SPIN's invalid-end-state check: the handler and the
 *                         prefetcher loop heads carry end labels, a vCPU is
 *                         at a valid end state only once pc[v] == P.
 */

#ifndef V
#define V 2
#endif
#ifndef P
#define P 4
#endif
#ifndef WAKE_PREFETCH
#define WAKE_PREFETCH 1
#endif
#if P > 32
#error "P > 32: add READ(k) lines to the handler"
#endif

#define NONE     0
#define PRESENT  1
#define POISON   2
#define IDLE     255   /* handler == IDLE, otherwise handler == p: RESOLVING(p) */

#define poisoned(p)   ((p) % 3 == 2)
#define page(v)       (((v) + pc[v]) % P)

byte pte[P];           /* NONE / PRESENT / POISON */
bit  pending[P];
byte pc[V];            /* 0..P */
bit  blocked[V];
byte handler = IDLE;
byte prefetch_pc;      /* 0..P */

hidden byte i;         /* loop counter inside d_steps; not part of the state */

#define install(p)  pte[p] = (poisoned(p) -> POISON : PRESENT)

#define wake(p)                                                         \
    i = 0;                                                              \
    do                                                                  \
    :: i < V ->                                                         \
        if                                                              \
        :: blocked[i] && page(i) == (p) -> blocked[i] = 0               \
        :: else -> skip                                                 \
        fi;                                                             \
        i++                                                             \
    :: else -> break                                                    \
    od

/* data and no-lost-wakeup, over the whole state
 * (-DNOCHECK drops them: only to measure what checking costs) */
#ifdef NOCHECK
#define CHECK skip
#else
#define CHECK                                                           \
    i = 0;                                                              \
    do                                                                  \
    :: i < P ->                                                         \
        assert(pte[i] != PRESENT || !poisoned(i));                      \
        assert(pte[i] != POISON || poisoned(i));                        \
        i++                                                             \
    :: else -> break                                                    \
    od;                                                                 \
    i = 0;                                                              \
    do                                                                  \
    :: i < V ->                                                         \
        assert(!blocked[i] || pte[page(i)] == NONE);                    \
        i++                                                             \
    :: else -> break                                                    \
    od
#endif

/* the body of access(v) for the current value of page(v) */
#define ACCESS(v)                                                       \
    if                                                                  \
    :: pte[page(v)] != NONE -> pc[v]++                                  \
    :: else -> pending[page(v)] = 1; blocked[v] = 1                     \
    fi

/* vCPUs: _pid 0..V-1 (declared first, so instantiated first) */
active [V] proctype vcpu()
{
    do
    /* access(v), every case except the one that completes the last access */
    :: d_step {
           blocked[_pid] == 0 && pc[_pid] < P &&
             !(pc[_pid] == P - 1 && pte[page(_pid)] != NONE) ->
           ACCESS(_pid);
           CHECK
       }
    /* access(v) that completes the last access: pc[v] becomes P */
    :: d_step {
           blocked[_pid] == 0 && pc[_pid] == P - 1 && pte[page(_pid)] != NONE ->
           pc[_pid]++;
           CHECK
       };
       break
    od
}

/* handler_read(k): one transition per page k */
#define READ(k)                                                         \
    :: d_step {                                                         \
           handler == IDLE && pending[k] ->                             \
           pending[k] = 0;                                              \
           handler = k;                                                 \
           CHECK                                                        \
       }

active proctype handler_proc()
{
end_handler:
    do
#if P > 0
    READ(0)
#endif
#if P > 1
    READ(1)
#endif
#if P > 2
    READ(2)
#endif
#if P > 3
    READ(3)
#endif
#if P > 4
    READ(4)
#endif
#if P > 5
    READ(5)
#endif
#if P > 6
    READ(6)
#endif
#if P > 7
    READ(7)
#endif
#if P > 8
    READ(8)
#endif
#if P > 9
    READ(9)
#endif
#if P > 10
    READ(10)
#endif
#if P > 11
    READ(11)
#endif
#if P > 12
    READ(12)
#endif
#if P > 13
    READ(13)
#endif
#if P > 14
    READ(14)
#endif
#if P > 15
    READ(15)
#endif
#if P > 16
    READ(16)
#endif
#if P > 17
    READ(17)
#endif
#if P > 18
    READ(18)
#endif
#if P > 19
    READ(19)
#endif
#if P > 20
    READ(20)
#endif
#if P > 21
    READ(21)
#endif
#if P > 22
    READ(22)
#endif
#if P > 23
    READ(23)
#endif
#if P > 24
    READ(24)
#endif
#if P > 25
    READ(25)
#endif
#if P > 26
    READ(26)
#endif
#if P > 27
    READ(27)
#endif
#if P > 28
    READ(28)
#endif
#if P > 29
    READ(29)
#endif
#if P > 30
    READ(30)
#endif
#if P > 31
    READ(31)
#endif
    /* handler_resolve */
    :: d_step {
           handler != IDLE ->
           if
           :: pte[handler] == NONE ->
               install(handler);
               wake(handler)
           :: else -> skip          /* EEXIST: wakes nobody */
           fi;
           handler = IDLE;
           CHECK
       }
    od
}

active proctype prefetcher()
{
end_prefetcher:
    do
    :: d_step {
           prefetch_pc < P ->
           if
           :: pte[prefetch_pc] == NONE ->
               install(prefetch_pc);
#if WAKE_PREFETCH
               wake(prefetch_pc)
#else
               skip
#endif
           :: else -> skip
           fi;
           prefetch_pc++;
           CHECK
       }
    od
}
