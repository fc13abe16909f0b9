package io.trellis.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trellis.config.Keys;
import io.trellis.config.Secret;
import io.trellis.config.TrellisConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CookiePolicyTest {

    @Test
    void aMissingCookieRefusesClusteringAndNamesTheKey() {
        CookiePolicy.Decision d = CookiePolicy.evaluate(TrellisConfig.defaults().get(Keys.NODE_COOKIE));
        assertThat(d.allowed()).isFalse();
        assertThat(d.reason()).contains("node.cookie is not set", "TRELLIS_NODE__COOKIE", "same long random string");
        assertThatThrownBy(d::requireAllowed).hasMessage(d.reason());
    }

    @ParameterizedTest
    @ValueSource(strings = {"emqxsecretcookie", "trellissecretcookie", "change-me-to-a-long-random-string", "EmqxSecretCookie"})
    void wellKnownSamplesAreRefusedWithoutPrintingThem(String sample) throws Exception {
        Secret cookie = TrellisConfig.parse("node.cookie = \"" + sample + "\"", "test.conf", Map.of()).get(Keys.NODE_COOKIE);
        CookiePolicy.Decision d = CookiePolicy.evaluate(cookie);
        assertThat(d.allowed()).isFalse();
        assertThat(d.reason()).contains("well-known sample value", "node.cookie")
                .doesNotContainIgnoringCase(sample);
    }

    @Test
    void aRandomCookieIsAllowed() {
        CookiePolicy.Decision d = CookiePolicy.evaluate(new Secret("q7Vn0rT4pZ2xL9mK8sW3yB6cD1fG5hJ"));
        assertThat(d.allowed()).isTrue();
        d.requireAllowed();
    }
}
