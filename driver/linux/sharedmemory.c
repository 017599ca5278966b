// SPDX-License-Identifier: GPL-2.0
/*
 * sharedmemory - memory shared between the kernel and one process, no copies.
 *
 * The Linux twin of driver/windows/: a misc device /dev/sharedmemory whose
 * ioctls (driver/include/sharedmemory_ioctl.h) allocate zeroed pages, seed
 * them with 10, 9, ..., 1, read them back through the kernel's own mapping
 * and free them. The process maps the pages itself with mmap() on the same
 * fd. read()/pread() is the copy path, for comparison.
 *
 * Where Linux differs from the Windows driver, and why:
 *  - Windows maps the pages into the caller during ALLOCATE and returns the
 *    address. Here ALLOCATE only allocates and the caller mmap()s the fd:
 *    mapping from an ioctl (vm_mmap) would hide the mapping from the kernel's
 *    usual mmap path, and mmap() lets the kernel place and track the VMA.
 *  - Windows must unmap in the owning process during IRP_MJ_CLEANUP. Here
 *    every VMA holds a reference on the buffer (vm_operations open/close),
 *    so RELEASE, close(), fork(), partial munmap() and process death only
 *    drop references; the pages go with the last one, in whatever context
 *    that is. QUERY counts a buffer until then.
 *  - Access control is the device node's mode and group (a udev rule), not
 *    an SDDL on the device object. The commands that change what a file
 *    holds need it open for reading and writing, as the Windows control
 *    codes' access bits demand.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "sharedmemory_ioctl.h"

static unsigned int max_size_mib = SHM_DEFAULT_MAX_SIZE >> 20;
module_param(max_size_mib, uint, 0444);
MODULE_PARM_DESC(max_size_mib, "Largest single ALLOCATE in MiB (default 64)");

static unsigned int total_cap_mib = SHM_DEFAULT_TOTAL_CAP >> 20;
module_param(total_cap_mib, uint, 0444);
MODULE_PARM_DESC(total_cap_mib,
		 "Cap on the bytes allocated by all handles together, in MiB (default 256)");

/* Live totals over every handle; a buffer counts until its last reference goes. */
static DEFINE_SPINLOCK(shm_totals_lock);
static u64 shm_total_bytes;
static u32 shm_allocations;

/*
 * One allocation. The file that made it holds one reference until RELEASE
 * or close; every VMA mapping it holds one more.
 */
struct shm_buffer {
	struct kref ref;
	void *vaddr;		/* __vmalloc(SHM_GFP): contiguous kernel mapping */
	size_t size;		/* whole pages */
};

/*
 * Zeroed, so no old kernel data ever reaches user space; charged to the
 * caller's memory cgroup (__GFP_ACCOUNT). Past the cgroup's limit, or with
 * memory short, the allocation fails and ALLOCATE says ENOMEM, rather than
 * waking the OOM killer (__GFP_RETRY_MAYFAIL); the caller hears of it, so
 * the log does not (__GFP_NOWARN). vmalloc_user() cannot take these flags,
 * so the mapping has no VM_USERMAP and shm_mmap() inserts the pages itself.
 */
#define SHM_GFP (GFP_KERNEL | __GFP_ZERO | __GFP_ACCOUNT | \
		 __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

struct shm_stream;	/* the streaming section below */

/* Per open file: at most one allocation, guarded by @lock. */
struct shm_file {
	struct mutex lock;	/* guards buf against concurrent ioctls/mmap */
	struct shm_buffer *buf;
	struct shm_stream *stream;	/* allocated at open, streams on buf */
};

static u64 shm_max_size(void)
{
	return (u64)max_size_mib << 20;
}

static bool shm_reserve(size_t size)
{
	bool ok;

	spin_lock(&shm_totals_lock);
	ok = shm_total_bytes + size <= ((u64)total_cap_mib << 20);
	if (ok) {
		shm_total_bytes += size;
		shm_allocations++;
	}
	spin_unlock(&shm_totals_lock);
	return ok;
}

static void shm_unreserve(size_t size)
{
	spin_lock(&shm_totals_lock);
	shm_total_bytes -= size;
	shm_allocations--;
	spin_unlock(&shm_totals_lock);
}

static struct shm_buffer *shm_buffer_create(size_t size)
{
	struct shm_buffer *buf;
	u16 *seed;
	int i;

	if (!shm_reserve(size))
		return NULL;
	buf = kzalloc(sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		goto unreserve;
	buf->vaddr = __vmalloc(size, SHM_GFP);
	if (!buf->vaddr)
		goto free_buf;
	buf->size = size;
	kref_init(&buf->ref);

	seed = buf->vaddr;
	for (i = 0; i < SHM_SEED_COUNT; i++)
		seed[i] = SHM_SEED_COUNT - i;
	return buf;

free_buf:
	kfree(buf);
unreserve:
	shm_unreserve(size);
	return NULL;
}

static void shm_buffer_free(struct kref *ref)
{
	struct shm_buffer *buf = container_of(ref, struct shm_buffer, ref);

	vfree(buf->vaddr);
	shm_unreserve(buf->size);
	kfree(buf);
}

static void shm_buffer_put(struct shm_buffer *buf)
{
	kref_put(&buf->ref, shm_buffer_free);
}

/* The file's buffer with a reference the caller must put, or NULL. */
static struct shm_buffer *shm_file_get_buffer(struct shm_file *sf)
{
	struct shm_buffer *buf;

	mutex_lock(&sf->lock);
	buf = sf->buf;
	if (buf)
		kref_get(&buf->ref);
	mutex_unlock(&sf->lock);
	return buf;
}

/*
 * Checks run in CONTRACT.md's order: buffer (copy_from_user), parameters,
 * state. User memory is never touched with sf->lock held: ->mmap takes that
 * lock under mmap_lock, and a fault in copy_*_user takes mmap_lock.
 */
static long shm_ioctl_query(void __user *arg)
{
	struct shm_device_info info = {
		.abi_version = SHM_ABI_VERSION,
		.driver_version = SHM_DRIVER_VERSION,
		.page_size = PAGE_SIZE,
		.max_size = shm_max_size(),
		.features = SHM_FEATURE_STREAM,
	};

	spin_lock(&shm_totals_lock);
	info.total_bytes = shm_total_bytes;
	info.allocations = shm_allocations;
	spin_unlock(&shm_totals_lock);

	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long shm_ioctl_allocate(struct shm_file *sf, void __user *arg)
{
	struct shm_allocate req;
	struct shm_buffer *buf;
	bool busy;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.size == 0 || req.size > shm_max_size())
		return -EINVAL;

	mutex_lock(&sf->lock);
	busy = !!sf->buf;
	mutex_unlock(&sf->lock);
	if (busy)
		return -EBUSY;

	/* vmalloc may sleep for a while: allocate outside the lock. */
	buf = shm_buffer_create(PAGE_ALIGN(req.size));
	if (!buf)
		return -ENOMEM;

	mutex_lock(&sf->lock);
	busy = !!sf->buf;	/* another thread on this fd may have won */
	if (!busy)
		sf->buf = buf;
	mutex_unlock(&sf->lock);
	if (busy) {
		shm_buffer_put(buf);
		return -EBUSY;
	}

	req.user_address = 0;	/* Linux: the caller maps with mmap() */
	req.mapped_size = buf->size;
	if (copy_to_user(arg, &req, sizeof(req))) {
		/* The caller never learnt of it: undo, unless already replaced. */
		mutex_lock(&sf->lock);
		if (sf->buf == buf)
			sf->buf = NULL;
		else
			buf = NULL;
		mutex_unlock(&sf->lock);
		if (buf)
			shm_buffer_put(buf);
		return -EFAULT;
	}
	return 0;
}

/*
 * ---- Streaming (CONTRACT.md section 5) ------------------------------------
 *
 * STREAM_START turns the file's allocation into a ring: a header in the first
 * page (struct shm_ring), records of 32 bytes after it. An hrtimer in softirq
 * mode is the producer: each tick writes the records whose time has come,
 * publishes head with a store-release and wakes poll()ers and readers. The
 * consumer (the process, in place, or read() below) publishes tail.
 *
 * The shared page is untrusted: the producer keeps head, dropped and state in
 * struct shm_stream and only ever writes them out; the one value it reads
 * back is tail, once per tick, into a local. An impossible tail faults the
 * stream (state FAULTED, producer stopped, waiters woken), without a warning.
 *
 * Locking:
 *  - shm_file.lock (mutex) guards the stream's existence (stream->buf) and
 *    every state change made from process context: START, STOP, RELEASE,
 *    close, and a fault seen by read(). Those cancel the timer with
 *    hrtimer_cancel() under it before they touch anything the timer uses.
 *  - The timer callback takes no lock: it is the only writer of head,
 *    dropped and next_seq, and writes state only to fault the stream, which
 *    process context never does concurrently (it cancels the timer first).
 *    Process context reads those fields with READ_ONCE/smp_load_acquire.
 *  - stream->read_lock (mutex) serialises read() on one file, so two readers
 *    never consume the same records; it is never held while waiting.
 */
struct shm_stream {
	struct hrtimer timer;
	wait_queue_head_t wait;		/* poll() and blocking read() */
	struct mutex read_lock;		/* one read() consumer at a time */
	struct shm_buffer *buf;		/* a reference while a stream exists */
	struct shm_ring *ring;		/* buf->vaddr */
	struct shm_record *records;	/* buf->vaddr + PAGE_SIZE */
	u64 start_ns;
	u64 period_ns;
	u64 next_seq;			/* sequence numbers handed out */
	u64 head;			/* records written */
	u64 dropped;			/* records lost */
	u32 capacity;			/* records, a power of two */
	u32 rate_hz;
	u32 batch;
	u32 state;			/* SHM_RING_RUNNING / _STOPPED / _FAULTED */
};

/* A tick writes at most this many batches: a late tick catches up, boundedly. */
#define SHM_STREAM_CATCH_UP	4

/* An impossible tail: the consumer claims records that were never written. */
static bool shm_stream_tail_broken(const struct shm_stream *s, u64 head, u64 tail)
{
	return tail > head || head - tail > s->capacity;
}

static void shm_stream_set_state(struct shm_stream *s, u32 state)
{
	/* Pairs with read(): a reader seeing the new state sees the last head. */
	smp_store_release(&s->state, state);
	WRITE_ONCE(s->ring->state, state);
}

static enum hrtimer_restart shm_stream_tick(struct hrtimer *timer)
{
	struct shm_stream *s = container_of(timer, struct shm_stream, timer);
	u64 now = ktime_get_ns();
	u64 due = mul_u64_u32_div(now - s->start_ns, s->rate_hz, NSEC_PER_SEC);
	u64 head = s->head;
	u64 tail, want, n, i;

	if (due > s->next_seq) {
		/* Pairs with the consumer's release: its reads of slots are done. */
		tail = smp_load_acquire(&s->ring->tail);
		if (shm_stream_tail_broken(s, head, tail)) {
			shm_stream_set_state(s, SHM_RING_FAULTED);
			wake_up_interruptible_poll(&s->wait, EPOLLHUP);
			return HRTIMER_NORESTART;
		}
		want = due - s->next_seq;
		n = min3(want, s->capacity - (head - tail),
			 (u64)SHM_STREAM_CATCH_UP * s->batch);
		for (i = 0; i < n; i++) {
			struct shm_record *rec =
				&s->records[(head + i) & (s->capacity - 1)];
			u64 seq = s->next_seq + i;

			s32 sample = shm_stream_sample(seq);

			rec->sequence = seq;
			rec->timestamp_ns = now;
			rec->sample = sample;
			rec->check = shm_stream_check(seq, sample);
			rec->reserved = 0;
		}
		/* The newest records are the ones lost; their numbers are skipped. */
		s->next_seq = due;
		WRITE_ONCE(s->dropped, s->dropped + want - n);
		/* Records before head, for read() (pairs with its acquire)... */
		smp_store_release(&s->head, head + n);
		WRITE_ONCE(s->ring->dropped, s->dropped);
		WRITE_ONCE(s->ring->state, SHM_RING_RUNNING);
		/* ...and for the consumer reading the ring in place. */
		smp_store_release(&s->ring->head, head + n);
		if (n && wq_has_sleeper(&s->wait))
			wake_up_interruptible_poll(&s->wait, EPOLLIN | EPOLLRDNORM);
	}
	hrtimer_forward_now(timer, ns_to_ktime(s->period_ns));
	return HRTIMER_RESTART;
}

static struct shm_stream *shm_stream_alloc(void)
{
	struct shm_stream *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	hrtimer_init(&s->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	s->timer.function = shm_stream_tick;
	init_waitqueue_head(&s->wait);
	mutex_init(&s->read_lock);
	return s;
}

/*
 * Stops the producer; with @state the stream takes it unless it faulted.
 * When this returns no tick runs or will run. Caller holds sf->lock.
 */
static void shm_stream_stop_locked(struct shm_stream *s, u32 state)
{
	hrtimer_cancel(&s->timer);
	if (READ_ONCE(s->state) != SHM_RING_FAULTED)
		shm_stream_set_state(s, state);
	wake_up_interruptible_poll(&s->wait, EPOLLHUP);
}

/* RELEASE and close: stop before free. Caller holds sf->lock (or is last). */
static void shm_stream_end_locked(struct shm_stream *s)
{
	struct shm_buffer *buf = s->buf;

	if (!buf)
		return;
	shm_stream_stop_locked(s, SHM_RING_STOPPED);
	WRITE_ONCE(s->buf, NULL);
	shm_buffer_put(buf);
}

static void shm_stream_free(struct shm_stream *s)
{
	shm_stream_end_locked(s);
	mutex_destroy(&s->read_lock);
	kfree(s);
}

static bool shm_stream_params_valid(const struct shm_stream_start *req)
{
	return req->rate_hz >= 1 && req->rate_hz <= SHM_STREAM_MAX_RATE &&
	       req->batch >= 1 && req->batch <= req->rate_hz &&
	       req->batch <= SHM_STREAM_MAX_BATCH &&
	       req->rate_hz <= (u64)req->batch * SHM_STREAM_MAX_TICK_HZ &&
	       req->event_handle == 0;
}

/* Records that fit after the first page, rounded down to a power of two. */
static u32 shm_stream_capacity(const struct shm_buffer *buf)
{
	size_t records = (buf->size - PAGE_SIZE) / sizeof(struct shm_record);

	return rounddown_pow_of_two(min_t(size_t, records, 1U << 31));
}

/* The state checks of STREAM_START, in the contract's order. */
static long shm_stream_can_start(struct shm_file *sf)
{
	if (!sf->buf)
		return -ENODATA;
	if (sf->stream->buf)
		return -EBUSY;
	if (sf->buf->size < 2 * PAGE_SIZE)
		return -EINVAL;
	return 0;
}

static long shm_ioctl_stream_start(struct shm_file *sf, void __user *arg)
{
	struct shm_stream *s = sf->stream;
	struct shm_stream_start req;
	struct shm_buffer *buf;
	struct shm_ring *ring;
	long ret;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (!shm_stream_params_valid(&req))
		return -EINVAL;

	/* Answer first, so a caller that cannot take the answer changes nothing. */
	mutex_lock(&sf->lock);
	ret = shm_stream_can_start(sf);
	buf = sf->buf;
	if (!ret) {
		req.capacity = shm_stream_capacity(buf);
		req.record_size = sizeof(struct shm_record);
		req.data_offset = PAGE_SIZE;
	}
	mutex_unlock(&sf->lock);
	if (ret)
		return ret;
	if (copy_to_user(arg, &req, sizeof(req)))
		return -EFAULT;

	mutex_lock(&sf->lock);
	ret = shm_stream_can_start(sf);
	if (!ret && sf->buf != buf)
		ret = -EBUSY;	/* released and allocated again meanwhile */
	if (ret)
		goto unlock;

	kref_get(&buf->ref);
	s->ring = buf->vaddr;
	s->records = buf->vaddr + PAGE_SIZE;
	s->capacity = req.capacity;
	s->rate_hz = req.rate_hz;
	s->batch = req.batch;
	s->period_ns = div_u64((u64)req.batch * NSEC_PER_SEC, req.rate_hz);
	s->next_seq = 0;
	s->head = 0;
	s->dropped = 0;
	s->state = SHM_RING_RUNNING;

	/* The header replaces the first page (the 10..1 seed goes). */
	ring = s->ring;
	memset(ring, 0, PAGE_SIZE);
	ring->magic = SHM_RING_MAGIC;
	ring->version = SHM_RING_VERSION;
	ring->record_size = sizeof(struct shm_record);
	ring->capacity = s->capacity;
	ring->data_offset = PAGE_SIZE;
	ring->rate_hz = s->rate_hz;
	ring->batch = s->batch;
	ring->state = SHM_RING_RUNNING;
	WRITE_ONCE(s->buf, buf);

	s->start_ns = ktime_get_ns();
	hrtimer_start(&s->timer, ns_to_ktime(s->period_ns), HRTIMER_MODE_REL_SOFT);
unlock:
	mutex_unlock(&sf->lock);
	return ret;
}

static long shm_ioctl_stream_stop(struct shm_file *sf)
{
	long ret = 0;

	mutex_lock(&sf->lock);
	if (!sf->buf || !sf->stream->buf)
		ret = -ENODATA;
	else
		shm_stream_stop_locked(sf->stream, SHM_RING_STOPPED);
	mutex_unlock(&sf->lock);
	return ret;
}

/* A consumer broke the ring while read() looked: fault it as a tick would. */
static void shm_stream_fault(struct shm_file *sf, struct shm_buffer *buf)
{
	mutex_lock(&sf->lock);
	if (sf->stream->buf == buf)
		shm_stream_stop_locked(sf->stream, SHM_RING_FAULTED);
	mutex_unlock(&sf->lock);
}

/*
 * read() works from the buffer it holds a reference on, never from what
 * struct shm_stream points at now: RELEASE, ALLOCATE and START may replace
 * the stream meanwhile, and the ring's size is derived from @buf itself.
 */
struct shm_ring_view {
	struct shm_ring *ring;
	struct shm_record *records;
	u32 capacity;
};

static void shm_ring_view_of(struct shm_ring_view *v, struct shm_buffer *buf)
{
	v->ring = buf->vaddr;
	v->records = buf->vaddr + PAGE_SIZE;
	v->capacity = shm_stream_capacity(buf);
}

/* Whether a reader waiting on @buf's stream has something to look at. */
static bool shm_stream_wake_reader(struct shm_stream *s, struct shm_buffer *buf,
				   const struct shm_ring_view *v)
{
	return READ_ONCE(s->buf) != buf ||
	       READ_ONCE(s->state) != SHM_RING_RUNNING ||
	       READ_ONCE(s->head) != READ_ONCE(v->ring->tail);
}

/* Copies records tail..tail+n-1 out of the ring, in at most two pieces. */
static int shm_stream_copy_out(const struct shm_ring_view *v, char __user *ubuf,
			       u64 tail, u64 n)
{
	u32 first = tail & (v->capacity - 1);
	u64 part = min_t(u64, n, v->capacity - first);
	size_t rsize = sizeof(struct shm_record);

	if (copy_to_user(ubuf, &v->records[first], part * rsize))
		return -EFAULT;
	if (part < n &&
	    copy_to_user(ubuf + part * rsize, v->records, (n - part) * rsize))
		return -EFAULT;
	return 0;
}

/*
 * The copy path of 5.2: whole records from tail, the file offset ignored.
 * The caller holds a reference on @buf, so the ring stays mapped in the
 * kernel even if RELEASE runs meanwhile.
 */
static ssize_t shm_stream_read(struct shm_file *sf, struct shm_buffer *buf,
			       struct file *file, char __user *ubuf, size_t count)
{
	struct shm_stream *s = sf->stream;
	struct shm_ring_view v;
	u64 head, tail, n;
	u32 state;
	ssize_t ret;

	if (count < sizeof(struct shm_record))
		return -EINVAL;
	shm_ring_view_of(&v, buf);
	if (mutex_lock_interruptible(&s->read_lock))
		return -ERESTARTSYS;
	for (;;) {
		/* State first: a stop is published after the last head. */
		state = smp_load_acquire(&s->state);
		/* Head after the records it covers (the producer's release). */
		head = smp_load_acquire(&s->head);
		tail = READ_ONCE(v.ring->tail);
		if (READ_ONCE(s->buf) != buf) {
			ret = 0;	/* released: this stream is over */
			break;
		}
		if (state == SHM_RING_FAULTED) {
			ret = -EIO;
			break;
		}
		if (tail > head || head - tail > v.capacity) {
			shm_stream_fault(sf, buf);
			ret = -EIO;
			break;
		}
		if (head != tail) {
			n = min_t(u64, head - tail, count / sizeof(struct shm_record));
			ret = shm_stream_copy_out(&v, ubuf, tail, n);
			if (!ret) {
				/* The slots are copied before the producer may reuse them. */
				smp_store_release(&v.ring->tail, tail + n);
				ret = n * sizeof(struct shm_record);
			}
			break;
		}
		if (state != SHM_RING_RUNNING) {
			ret = 0;	/* the stream ended and everything was read */
			break;
		}
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			break;
		}
		mutex_unlock(&s->read_lock);
		if (wait_event_interruptible(s->wait, shm_stream_wake_reader(s, buf, &v)))
			return -ERESTARTSYS;
		if (mutex_lock_interruptible(&s->read_lock))
			return -ERESTARTSYS;
	}
	mutex_unlock(&s->read_lock);
	return ret;
}

/* Whether @buf carries a stream read() should consume from. */
static bool shm_stream_active(struct shm_file *sf, struct shm_buffer *buf)
{
	return READ_ONCE(sf->stream->buf) == buf;
}

static __poll_t shm_poll(struct file *file, poll_table *wait)
{
	struct shm_file *sf = file->private_data;
	struct shm_stream *s = sf->stream;
	__poll_t mask = 0;

	poll_wait(file, &s->wait, wait);
	mutex_lock(&sf->lock);
	if (!s->buf) {
		mask = EPOLLHUP;
	} else {
		/* Pairs with shm_stream_set_state(), as in read(). */
		if (smp_load_acquire(&s->state) != SHM_RING_RUNNING)
			mask |= EPOLLHUP;
		if (READ_ONCE(s->head) != READ_ONCE(s->ring->tail))
			mask |= EPOLLIN | EPOLLRDNORM;
	}
	mutex_unlock(&sf->lock);
	return mask;
}

/* ---- End of streaming ---------------------------------------------------- */

static long shm_ioctl_release(struct shm_file *sf)
{
	struct shm_buffer *buf;

	mutex_lock(&sf->lock);
	shm_stream_end_locked(sf->stream);
	buf = sf->buf;
	sf->buf = NULL;
	mutex_unlock(&sf->lock);
	if (!buf)
		return -ENODATA;
	/* Mappings keep their own references: the pages stay until munmap. */
	shm_buffer_put(buf);
	return 0;
}

static long shm_ioctl_inspect(struct shm_file *sf, void __user *arg)
{
	struct shm_inspect *req;
	struct shm_buffer *buf;
	long ret = 0;

	req = kmalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	if (copy_from_user(req, arg, sizeof(*req))) {
		ret = -EFAULT;
		goto out;
	}
	/* reserved must be zero, so it can carry meaning later without a new ABI. */
	if (req->count == 0 || req->count > SHM_INSPECT_MAX || req->offset % 2 ||
	    req->reserved) {
		ret = -EINVAL;
		goto out;
	}

	buf = shm_file_get_buffer(sf);
	if (!buf) {
		ret = -ENODATA;
		goto out;
	}
	if (req->offset >= buf->size ||
	    buf->size - req->offset < (u64)req->count * sizeof(u16)) {
		ret = -EINVAL;
	} else {
		/* Through the kernel's mapping, so it shows what user space wrote. */
		memcpy(req->values, buf->vaddr + req->offset,
		       req->count * sizeof(u16));
		memset(req->values + req->count, 0,
		       (SHM_INSPECT_MAX - req->count) * sizeof(u16));
	}
	shm_buffer_put(buf);
	if (!ret && copy_to_user(arg, req, sizeof(*req)))
		ret = -EFAULT;
out:
	kfree(req);
	return ret;
}

/*
 * The commands that change what the file holds need it open for reading and
 * writing, like the Windows control codes' access bits; the others work on a
 * read-only file too.
 */
static bool shm_cmd_needs_rdwr(unsigned int cmd)
{
	switch (cmd) {
	case SHM_IOCTL_ALLOCATE:
	case SHM_IOCTL_RELEASE:
	case SHM_IOCTL_STREAM_START:
	case SHM_IOCTL_STREAM_STOP:
		return true;
	default:
		return false;
	}
}

static long shm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct shm_file *sf = file->private_data;
	void __user *uarg = (void __user *)arg;
	const fmode_t rdwr = FMODE_READ | FMODE_WRITE;

	/* Before any other check: EBADF, as write() on a read-only fd. */
	if (shm_cmd_needs_rdwr(cmd) && (file->f_mode & rdwr) != rdwr)
		return -EBADF;

	/* The size is part of each number, so a short struct is an unknown cmd. */
	switch (cmd) {
	case SHM_IOCTL_QUERY:
		return shm_ioctl_query(uarg);
	case SHM_IOCTL_ALLOCATE:
		return shm_ioctl_allocate(sf, uarg);
	case SHM_IOCTL_RELEASE:
		return shm_ioctl_release(sf);
	case SHM_IOCTL_INSPECT:
		return shm_ioctl_inspect(sf, uarg);
	case SHM_IOCTL_STREAM_START:
		return shm_ioctl_stream_start(sf, uarg);
	case SHM_IOCTL_STREAM_STOP:
		return shm_ioctl_stream_stop(sf);
	default:
		return -ENOTTY;
	}
}

/* The copy path: the same pages, copied out at *ppos; a stream's records. */
static ssize_t shm_read(struct file *file, char __user *ubuf, size_t count,
			loff_t *ppos)
{
	struct shm_file *sf = file->private_data;
	struct shm_buffer *buf;
	ssize_t ret;
	loff_t pos = *ppos;

	buf = shm_file_get_buffer(sf);
	if (!buf)
		return -ENODATA;
	if (shm_stream_active(sf, buf)) {
		ret = shm_stream_read(sf, buf, file, ubuf, count);
	} else if (pos < 0) {
		ret = -EINVAL;
	} else if (pos >= buf->size) {
		ret = 0;
	} else {
		count = min_t(size_t, count, buf->size - pos);
		if (copy_to_user(ubuf, buf->vaddr + pos, count)) {
			ret = -EFAULT;
		} else {
			*ppos = pos + count;
			ret = count;
		}
	}
	shm_buffer_put(buf);
	return ret;
}

/* Each VMA, including copies made by fork() and splits, holds a reference. */
static void shm_vm_open(struct vm_area_struct *vma)
{
	struct shm_buffer *buf = vma->vm_private_data;

	kref_get(&buf->ref);
}

static void shm_vm_close(struct vm_area_struct *vma)
{
	shm_buffer_put(vma->vm_private_data);
}

/*
 * A page whose PTE is gone (MADV_DONTNEED) maps the same page back: the
 * buffer's pages never move while it lives.
 */
static vm_fault_t shm_vm_fault(struct vm_fault *vmf)
{
	struct shm_buffer *buf = vmf->vma->vm_private_data;
	struct page *page;

	if (vmf->pgoff >= buf->size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	page = vmalloc_to_page(buf->vaddr + (vmf->pgoff << PAGE_SHIFT));
	get_page(page);		/* the new PTE's; unmapping drops it */
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct shm_vm_ops = {
	.open = shm_vm_open,
	.close = shm_vm_close,
	.fault = shm_vm_fault,
};

/* Pages per vm_insert_pages() call: a small array on the stack. */
#define SHM_INSERT_BATCH 32

/* Maps the whole VMA now, in batches, so first touches do not fault. */
static int shm_insert_pages(struct vm_area_struct *vma, struct shm_buffer *buf)
{
	struct page *pages[SHM_INSERT_BATCH];
	unsigned long npages = vma_pages(vma);
	unsigned long done = 0;

	while (done < npages) {
		unsigned long batch = min_t(unsigned long, npages - done,
					    SHM_INSERT_BATCH);
		unsigned long left = batch;	/* out: pages not inserted */
		unsigned long i;
		int ret;

		for (i = 0; i < batch; i++)
			pages[i] = vmalloc_to_page(buf->vaddr +
						   ((done + i) << PAGE_SHIFT));
		ret = vm_insert_pages(vma, vma->vm_start + (done << PAGE_SHIFT),
				      pages, &left);
		if (ret)
			return ret;
		done += batch;
	}
	return 0;
}

static int shm_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct shm_file *sf = file->private_data;
	unsigned long len = vma->vm_end - vma->vm_start;
	struct shm_buffer *buf;
	int ret;

	/* Private copies of shared memory would defeat the point. */
	if (!(vma->vm_flags & VM_MAYSHARE) || vma->vm_pgoff != 0)
		return -EINVAL;

	buf = shm_file_get_buffer(sf);
	if (!buf)
		return -EINVAL;
	if (len > buf->size) {
		ret = -EINVAL;
		goto put;
	}
	/* mremap cannot grow it; core dumps leave it out. */
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_private_data = buf;	/* keeps the reference taken above */
	vma->vm_ops = &shm_vm_ops;
	/*
	 * On failure the caller unmaps what was inserted and calls no
	 * ->close, so the reference is ours to put.
	 */
	ret = shm_insert_pages(vma, buf);
	if (ret)
		goto put;
	return 0;
put:
	shm_buffer_put(buf);
	return ret;
}

static int shm_open(struct inode *inode, struct file *file)
{
	struct shm_file *sf;

	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf)
		return -ENOMEM;
	sf->stream = shm_stream_alloc();
	if (!sf->stream) {
		kfree(sf);
		return -ENOMEM;
	}
	mutex_init(&sf->lock);
	/* misc_open() pointed this at the miscdevice; nothing here needs it. */
	file->private_data = sf;
	return 0;
}

/* Last close: no VMA refers to the file any more, and no ioctl is running. */
static int shm_release(struct inode *inode, struct file *file)
{
	struct shm_file *sf = file->private_data;

	shm_stream_free(sf->stream);	/* stops the producer before any free */
	if (sf->buf)
		shm_buffer_put(sf->buf);
	mutex_destroy(&sf->lock);
	kfree(sf);
	return 0;
}

static const struct file_operations shm_fops = {
	.owner = THIS_MODULE,
	.open = shm_open,
	.release = shm_release,
	.read = shm_read,
	.poll = shm_poll,
	.llseek = default_llseek,
	.unlocked_ioctl = shm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,	/* fixed-width structs: same layout */
	.mmap = shm_mmap,
};

static struct miscdevice shm_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = SHM_LINUX_DEVICE_NAME,
	.fops = &shm_fops,
	/* Never world-accessible; udev gives group sharedmemory access. */
	.mode = 0660,
};

static int __init shm_init(void)
{
	int ret;

	if (max_size_mib == 0 || total_cap_mib == 0) {
		pr_err("max_size_mib and total_cap_mib must be at least 1\n");
		return -EINVAL;
	}
	ret = misc_register(&shm_misc);
	if (ret)
		return ret;
	pr_info("ready: /dev/%s, max %u MiB per allocation, cap %u MiB\n",
		SHM_LINUX_DEVICE_NAME, max_size_mib, total_cap_mib);
	return 0;
}

static void __exit shm_exit(void)
{
	/* Open files and mappings hold the module, so nothing is left here. */
	misc_deregister(&shm_misc);
}

module_init(shm_init);
module_exit(shm_exit);

MODULE_DESCRIPTION("Zero-copy memory shared between the kernel and a process");
MODULE_AUTHOR("SharedMemory project");
MODULE_LICENSE("GPL");
MODULE_VERSION("1.1");
