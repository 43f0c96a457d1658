/* SPDX-License-Identifier: GPL-2.0 */
/* Trace events of the ODP layer: faults raised and served, invalidations. */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM hodp

#if !defined(HODP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define HODP_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(hodp_odp_fault,
	TP_PROTO(u32 qpn, u32 key, u64 iova, u32 len, bool write),
	TP_ARGS(qpn, key, iova, len, write),
	TP_STRUCT__entry(
		__field(u32, qpn)
		__field(u32, key)
		__field(u64, iova)
		__field(u32, len)
		__field(bool, write)
	),
	TP_fast_assign(
		__entry->qpn = qpn;
		__entry->key = key;
		__entry->iova = iova;
		__entry->len = len;
		__entry->write = write;
	),
	TP_printk("qpn=%u key=0x%x iova=0x%llx len=%u %s", __entry->qpn, __entry->key,
		  __entry->iova, __entry->len, __entry->write ? "write" : "read")
);

TRACE_EVENT(hodp_odp_fault_done,
	TP_PROTO(u32 qpn, u32 key, u64 iova, u64 pages, int result, u64 nsecs),
	TP_ARGS(qpn, key, iova, pages, result, nsecs),
	TP_STRUCT__entry(
		__field(u32, qpn)
		__field(u32, key)
		__field(u64, iova)
		__field(u64, pages)
		__field(int, result)
		__field(u64, nsecs)
	),
	TP_fast_assign(
		__entry->qpn = qpn;
		__entry->key = key;
		__entry->iova = iova;
		__entry->pages = pages;
		__entry->result = result;
		__entry->nsecs = nsecs;
	),
	TP_printk("qpn=%u key=0x%x iova=0x%llx pages=%llu result=%d latency_ns=%llu",
		  __entry->qpn, __entry->key, __entry->iova, __entry->pages, __entry->result,
		  __entry->nsecs)
);

TRACE_EVENT(hodp_odp_invalidate,
	TP_PROTO(u32 key, unsigned long start, unsigned long end, int event, u64 pages),
	TP_ARGS(key, start, end, event, pages),
	TP_STRUCT__entry(
		__field(u32, key)
		__field(unsigned long, start)
		__field(unsigned long, end)
		__field(int, event)
		__field(u64, pages)
	),
	TP_fast_assign(
		__entry->key = key;
		__entry->start = start;
		__entry->end = end;
		__entry->event = event;
		__entry->pages = pages;
	),
	TP_printk("key=0x%x start=0x%lx end=0x%lx event=%d pages=%llu", __entry->key,
		  __entry->start, __entry->end, __entry->event, __entry->pages)
);

#endif /* HODP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE hodp_trace
#include <trace/define_trace.h>
