/*
 * sendfile(2) for Skiff's fetch path, Linux only. Two things Node does not offer:
 *
 * - sendfile(out, in, position, count): one non-blocking call; returns the bytes sent, or a
 *   negative errno (-EAGAIN when the socket's send buffer is full).
 * - waitWritable(fd): calls the dispatcher given to init() with fd once the socket can take
 *   more bytes. The socket already belongs to libuv's epoll set, and adding it there again
 *   would replace libuv's own registration, so the socket goes into a private epoll set
 *   (EPOLLONESHOT) whose descriptor libuv watches instead.
 *
 * Nothing here blocks on the network or uses the thread pool: a slow consumer costs an epoll
 * registration, not a worker thread.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

typedef struct {
  napi_env env;
  int epfd;
  uv_poll_t* poll; /* freed by its close callback, which may run after the state is gone */
  int polling;
  napi_ref dispatch;
  napi_async_context async;
} state_t;

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "skiff_sendfile: " #call " failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value make_int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

static napi_value js_sendfile(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "sendfile(outFd, inFd, position, count)");
    return NULL;
  }
  int32_t out_fd, in_fd;
  int64_t position, count;
  CHECK(napi_get_value_int32(env, argv[0], &out_fd));
  CHECK(napi_get_value_int32(env, argv[1], &in_fd));
  CHECK(napi_get_value_int64(env, argv[2], &position));
  CHECK(napi_get_value_int64(env, argv[3], &count));
  if (position < 0 || count < 0) return make_int(env, -EINVAL);
  off_t off = (off_t)position;
  ssize_t n;
  do {
    n = sendfile(out_fd, in_fd, &off, (size_t)count);
  } while (n < 0 && errno == EINTR);
  return make_int(env, n < 0 ? -(int64_t)errno : (int64_t)n);
}

static void on_ready(uv_poll_t* handle, int status, int events) {
  state_t* st = (state_t*)handle->data;
  struct epoll_event evs[64];
  if (st == NULL) return;
  int n;
  (void)status;
  (void)events;
  napi_handle_scope scope;
  napi_open_handle_scope(st->env, &scope);
  napi_value fn, recv;
  napi_get_reference_value(st->env, st->dispatch, &fn);
  /* napi_make_callback needs an object as the receiver. */
  napi_get_global(st->env, &recv);
  while ((n = epoll_wait(st->epfd, evs, 64, 0)) > 0) {
    for (int i = 0; i < n; i++) {
      napi_value arg = make_int(st->env, evs[i].data.fd);
      /* The dispatcher only resolves a promise; an exception there must not stay pending
         and surface from some later, unrelated N-API call. */
      if (napi_make_callback(st->env, st->async, recv, fn, 1, &arg, NULL) == napi_pending_exception) {
        napi_value ignored;
        napi_get_and_clear_last_exception(st->env, &ignored);
      }
    }
  }
  napi_close_handle_scope(st->env, scope);
}

static void free_poll(uv_handle_t* handle) {
  free(handle);
}

static void close_state(void* arg) {
  state_t* st = (state_t*)arg;
  if (st->polling) {
    uv_poll_stop(st->poll);
    st->poll->data = NULL;
    uv_close((uv_handle_t*)st->poll, free_poll);
    st->polling = 0;
  }
  if (st->epfd >= 0) close(st->epfd);
  st->epfd = -1;
}

static napi_value js_init(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  state_t* st;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_instance_data(env, (void**)&st));
  if (st->polling) {
    napi_throw_error(env, NULL, "skiff_sendfile: init() called twice");
    return NULL;
  }
  CHECK(napi_create_reference(env, argv[0], 1, &st->dispatch));
  napi_value name;
  CHECK(napi_create_string_utf8(env, "skiff_sendfile", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &st->async));
  st->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (st->epfd < 0) return make_int(env, -errno);
  uv_loop_t* loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  st->poll = calloc(1, sizeof(uv_poll_t));
  if (st->poll == NULL) return make_int(env, -ENOMEM);
  int rc = uv_poll_init(loop, st->poll, st->epfd);
  if (rc != 0) return make_int(env, rc);
  st->poll->data = st;
  rc = uv_poll_start(st->poll, UV_READABLE, on_ready);
  if (rc != 0) return make_int(env, rc);
  /* Sockets being waited for keep the process alive; this watcher need not. */
  uv_unref((uv_handle_t*)st->poll);
  st->polling = 1;
  napi_add_env_cleanup_hook(env, close_state, st);
  return make_int(env, 0);
}

static napi_value js_wait_writable(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  state_t* st;
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_instance_data(env, (void**)&st));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (!st->polling) return make_int(env, -EBADF);
  struct epoll_event ev;
  ev.events = EPOLLOUT | EPOLLONESHOT;
  ev.data.u64 = 0;
  ev.data.fd = fd;
  /* A closed socket leaves the set by itself, so a reused fd number may or may not be there. */
  if (epoll_ctl(st->epfd, EPOLL_CTL_MOD, fd, &ev) == 0) return make_int(env, 0);
  if (errno == ENOENT && epoll_ctl(st->epfd, EPOLL_CTL_ADD, fd, &ev) == 0) return make_int(env, 0);
  return make_int(env, -errno);
}

static void free_state(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  free(data);
}

NAPI_MODULE_INIT() {
  state_t* st = calloc(1, sizeof(state_t));
  if (st == NULL) return NULL;
  st->env = env;
  st->epfd = -1;
  napi_set_instance_data(env, st, free_state, NULL);
  napi_property_descriptor props[] = {
      {"sendfile", NULL, js_sendfile, NULL, NULL, NULL, napi_default, NULL},
      {"init", NULL, js_init, NULL, NULL, NULL, napi_default, NULL},
      {"waitWritable", NULL, js_wait_writable, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}
