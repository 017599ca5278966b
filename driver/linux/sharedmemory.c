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
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

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

/* Per open file: at most one allocation, guarded by @lock. */
struct shm_file {
	struct mutex lock;	/* guards buf against concurrent ioctls/mmap */
	struct shm_buffer *buf;
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

static long shm_ioctl_release(struct shm_file *sf)
{
	struct shm_buffer *buf;

	mutex_lock(&sf->lock);
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
	default:
		return -ENOTTY;
	}
}

/* The copy path: the same pages, copied out at *ppos. */
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
	if (pos < 0) {
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
	mutex_init(&sf->lock);
	/* misc_open() pointed this at the miscdevice; nothing here needs it. */
	file->private_data = sf;
	return 0;
}

/* Last close: no VMA refers to the file any more, and no ioctl is running. */
static int shm_release(struct inode *inode, struct file *file)
{
	struct shm_file *sf = file->private_data;

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
MODULE_VERSION("1.0");
