// Worker pool: workers spin briefly on a generation counter (kernels arrive back to
// back during training), then sleep on a condition variable.
#include "pool.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__)
#include <immintrin.h>
#define LRL_PAUSE() _mm_pause()
#else
#define LRL_PAUSE() ((void)0)
#endif

namespace lrl {
namespace {

struct Pool {
  std::vector<std::thread> workers;
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<unsigned long> generation{0};
  std::atomic<int> pending{0};
  std::atomic<int> sleepers{0};
  const std::function<void(int, int)>* job = nullptr;
  int active = 1;  // threads taking part in the current job
  int threads = 1;
  int cores = 1;
  bool stop = false;

  Pool() {
    unsigned hc = std::thread::hardware_concurrency();
    cores = hc == 0 ? 1 : (int)hc;
    threads = cores;
    for (int t = 1; t < cores; t++) workers.emplace_back([this, t] { loop(t); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> g(mu);
      stop = true;
      generation.fetch_add(1);
    }
    cv.notify_all();
    for (auto& w : workers) w.join();
  }

  void loop(int tid) {
    unsigned long seen = 0;
    for (;;) {
      unsigned long g = generation.load(std::memory_order_acquire);
      for (int spin = 0; g == seen && spin < 20000; spin++) {
        LRL_PAUSE();
        g = generation.load(std::memory_order_acquire);
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lk(mu);
        sleepers.fetch_add(1);
        cv.wait(lk, [&] { return generation.load(std::memory_order_acquire) != seen; });
        sleepers.fetch_sub(1);
        g = generation.load(std::memory_order_acquire);
      }
      seen = g;
      if (stop) return;
      if (tid < active) {
        (*job)(tid, active);
        pending.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  void run(int want, const std::function<void(int, int)>& fn) {
    int n = want < threads ? want : threads;
    if (n < 1) n = 1;
    if (n == 1) {
      fn(0, 1);
      return;
    }
    job = &fn;
    active = n;
    pending.store(n - 1, std::memory_order_release);
    {
      std::lock_guard<std::mutex> g(mu);
      generation.fetch_add(1, std::memory_order_acq_rel);
    }
    if (sleepers.load() > 0) cv.notify_all();
    fn(0, n);
    while (pending.load(std::memory_order_acquire) != 0) LRL_PAUSE();
  }
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: workers may outlive static destructors at exit
  return *p;
}

}  // namespace

void pool_set_threads(int n) {
  Pool& p = pool();
  p.threads = n < 1 ? 1 : (n > p.cores ? p.cores : n);
}
int pool_threads() { return pool().threads; }
int pool_cores() { return pool().cores; }
void pool_run(int want, const std::function<void(int, int)>& fn) { pool().run(want, fn); }

}  // namespace lrl
