package io.trellis.security.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AuthzCacheTest {

  private final AtomicLong now = new AtomicLong(1_000);
  private static final AuthzAction PUB = AuthzAction.publish(0, false);
  private static final AuthzAction SUB = AuthzAction.subscribe(0);

  @Test
  void answersExpireAfterTheTtl() {
    AuthzCache cache = new AuthzCache(8, Duration.ofSeconds(60), now::get);
    cache.put(PUB, "t", AuthzResult.ALLOW);

    now.addAndGet(Duration.ofSeconds(59).toNanos());
    assertThat(cache.get(PUB, "t")).isEqualTo(AuthzResult.ALLOW);
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(cache.get(PUB, "t")).isNull();
    assertThat(cache.size()).isZero();
  }

  @Test
  void theLeastRecentlyUsedAnswerGoesWhenFull() {
    AuthzCache cache = new AuthzCache(2, Duration.ofMinutes(1), now::get);
    cache.put(PUB, "a", AuthzResult.ALLOW);
    cache.put(PUB, "b", AuthzResult.DENY);
    assertThat(cache.get(PUB, "a")).isEqualTo(AuthzResult.ALLOW); // a is now the most recent
    cache.put(PUB, "c", AuthzResult.ALLOW);

    assertThat(cache.size()).isEqualTo(2);
    assertThat(cache.get(PUB, "b")).isNull();
    assertThat(cache.get(PUB, "a")).isEqualTo(AuthzResult.ALLOW);
    assertThat(cache.get(PUB, "c")).isEqualTo(AuthzResult.ALLOW);
  }

  @Test
  void actionsAreSeparateKeysAndClearEmpties() {
    AuthzCache cache = new AuthzCache(8, Duration.ofMinutes(1), now::get);
    cache.put(PUB, "t", AuthzResult.ALLOW);
    assertThat(cache.get(SUB, "t")).isNull();
    assertThat(cache.get(AuthzAction.publish(0, true), "t")).isNull();
    cache.clear();
    assertThat(cache.get(PUB, "t")).isNull();
  }

  @Test
  void badSettingsNameTheKey() {
    assertThatThrownBy(() -> new AuthzCache(0, Duration.ofMinutes(1)))
        .hasMessageContaining("authorization.cache.max_size");
    assertThatThrownBy(() -> new AuthzCache(1, Duration.ZERO))
        .hasMessageContaining("authorization.cache.ttl");
  }
}
