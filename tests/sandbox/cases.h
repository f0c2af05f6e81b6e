/*
 * cases.h: a misbehaving "kata" for the sandbox's own tests.  Each function
 * does one thing a learner's code might: crash, deadlock, spin, block on
 * I/O, leave a process behind, leak descriptors, flood its output, die of
 * SIGPIPE, call exit().
 */
#ifndef SANDBOX_CASES_H
#define SANDBOX_CASES_H

void case_segv(void);
void case_deadlock(void);
void case_spin(void);
void case_block_io(void);
int case_orphan(void);	/* returns the orphan's pid */
void case_leak_fds(int n);
void case_flood(long bytes);
void case_sigpipe(void);
void case_exit(void);

#endif
