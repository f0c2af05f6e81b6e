/*
 * coroutine.c: reference solution of the coroutine kata.
 *
 * Every coroutine has its own stack, one mmap() with a PROT_NONE guard page
 * below it.  A switch saves the running side's registers and stack pointer
 * and loads the other side's; co_send switches from the sender into the
 * coroutine, co_yield back to whoever sent.  The value crossing over
 * travels in co->transfer.
 *
 * On x86-64 the switch is a dozen hand-written instructions (co_switch
 * below): it saves only what the System V ABI says a called function must
 * preserve (rbx, rbp, r12-r15, the stack pointer, MXCSR and the x87 control
 * word), because the compiler already treats everything else as clobbered
 * by a call.  Elsewhere it falls back to ucontext, whose swapcontext() also
 * saves and restores the signal mask with a system call (rt_sigprocmask)
 * on every switch; build with -DCO_USE_UCONTEXT to try it on x86-64.
 *
 * Entry points: see coroutine.h.
 */
#define _GNU_SOURCE
#include "coroutine.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kata/plugin.h"

#if defined(__x86_64__) && !defined(CO_USE_UCONTEXT)
#define CO_ASM 1
#else
#define CO_ASM 0
#include <ucontext.h>
#endif

KATA_PLUGIN("coroutine");

struct co {
	void *(*fn)(struct co *co, void *arg);
	void *arg;
	void *transfer;		/* the value being sent or yielded */
	enum co_state state;
	char *map;		/* guard page + stack */
	size_t map_len;
#if CO_ASM
	void *sp;		/* the coroutine's saved stack pointer */
	void *caller_sp;	/* its sender's, while it runs */
#else
	ucontext_t ctx, caller;
#endif
};

static void switch_out(struct co *co);

/* Runs the coroutine's function, then hands its result to the sender. */
static void co_main(struct co *co)
{
	co->transfer = co->fn(co, co->arg);
	co->state = CO_DONE;
	switch_out(co);
	abort();		/* a done coroutine is never resumed */
}

#if CO_ASM
/*
 * co_switch(save_sp, load_sp): pushes the callee-saved registers, stores
 * the stack pointer in *save_sp, loads load_sp and pops the other side's.
 * Saved frame, from the stack pointer up: MXCSR and x87 control word
 * (8 bytes), r15, r14, r13, r12, rbx, rbp, return address.
 *
 * co_boot is where a new coroutine's first switch "returns" to: its frame
 * holds the coroutine in rbx and co_main in r12.
 */
__asm__(
	".text\n"
	".p2align 4\n"
	".hidden co_switch\n"
	".globl co_switch\n"
	".type co_switch, @function\n"
	"co_switch:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	subq $8, %rsp\n"
	"	stmxcsr (%rsp)\n"
	"	fnstcw 4(%rsp)\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	ldmxcsr (%rsp)\n"
	"	fldcw 4(%rsp)\n"
	"	addq $8, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size co_switch, .-co_switch\n"
	".p2align 4\n"
	"co_boot:\n"
	"	movq %rbx, %rdi\n"
	"	callq *%r12\n"
	"	ud2\n");

void co_switch(void **save_sp, void *load_sp);
extern char co_boot_addr[] __asm__("co_boot");

/* Builds the frame co_switch pops on the first send. */
static void prepare(struct co *co, char *top)
{
	uint64_t *f = (uint64_t *)(top - 80);	/* top is 16-aligned */

	f[0] = 0x037fULL << 32 | 0x1f80;	/* default x87 cw, MXCSR */
	f[1] = f[2] = f[3] = f[6] = 0;		/* r15 r14 r13 rbp */
	f[4] = (uint64_t)(uintptr_t)co_main;	/* r12 */
	f[5] = (uint64_t)(uintptr_t)co;		/* rbx */
	f[7] = (uint64_t)(uintptr_t)co_boot_addr; /* return address */
	f[8] = f[9] = 0;	/* after ret: rsp is 16-aligned */
	co->sp = f;
}

static void switch_in(struct co *co)
{
	co_switch(&co->caller_sp, co->sp);
}

static void switch_out(struct co *co)
{
	co_switch(&co->sp, co->caller_sp);
}
#else
/* makecontext passes int arguments only: the pointer travels in two. */
static void co_entry(unsigned hi, unsigned lo)
{
	co_main((struct co *)(uintptr_t)((uint64_t)hi << 32 | lo));
}

static void prepare(struct co *co, char *top)
{
	uint64_t p = (uint64_t)(uintptr_t)co;
	size_t page = (size_t)getpagesize();

	getcontext(&co->ctx);
	co->ctx.uc_stack.ss_sp = co->map + page;
	co->ctx.uc_stack.ss_size = (size_t)(top - co->map) - page;
	co->ctx.uc_link = NULL;
	makecontext(&co->ctx, (void (*)(void))co_entry, 2,
		    (unsigned)(p >> 32), (unsigned)p);
}

static void switch_in(struct co *co)
{
	swapcontext(&co->caller, &co->ctx);
}

static void switch_out(struct co *co)
{
	swapcontext(&co->ctx, &co->caller);
}
#endif

int co_create(void *(*fn)(struct co *co, void *arg), void *arg,
	      size_t stack_size, struct co **out)
{
	size_t page = (size_t)getpagesize();
	struct co *co;

	if (!fn || stack_size < CO_MIN_STACK)
		return -EINVAL;
	if (!(co = calloc(1, sizeof(*co))))
		return -ENOMEM;
	co->map_len = page + (stack_size + page - 1) / page * page;
	co->map = mmap(NULL, co->map_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (co->map == MAP_FAILED) {
		free(co);
		return -ENOMEM;
	}
	mprotect(co->map, page, PROT_NONE);	/* the guard page */
	co->fn = fn;
	co->arg = arg;
	co->state = CO_SUSPENDED;
	prepare(co, co->map + co->map_len);
	*out = co;
	return 0;
}

int co_send(struct co *co, void *value, void **out)
{
	if (co->state == CO_DONE)
		return -EINVAL;
	if (co->state == CO_RUNNING)
		return -EBUSY;
	co->transfer = value;
	co->state = CO_RUNNING;
	switch_in(co);
	*out = co->transfer;
	return co->state == CO_DONE ? CO_RETURNED : CO_YIELDED;
}

void *co_yield(struct co *co, void *value)
{
	co->transfer = value;
	co->state = CO_SUSPENDED;
	switch_out(co);
	return co->transfer;
}

enum co_state co_state(const struct co *co)
{
	return co->state;
}

void co_destroy(struct co *co)
{
	if (!co)
		return;
	munmap(co->map, co->map_len);
	free(co);
}
