import Foundation
import Hummingbird
import RuntimeCore
import RuntimeProtocol

/// `GET /` (the demo page), `GET /healthz`, `GET /metrics`.
func addHTTPRoutes(to router: Router<BasicRequestContext>, runtime: Runtime, metrics: ServerMetrics) {
    for path in ["/", "/client.html"] {
        router.get(RouterPath(path)) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: DemoPage.html)))
        }
    }
    router.get("/healthz") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok")))
    }
    router.get("/metrics") { _, _ in
        let text = await metrics.render(runtime: runtime)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The demo page, bundled as a resource (the same file as `Docs/client.html`).
enum DemoPage {
    static let html: String = {
        guard let url = Bundle.module.url(forResource: "client", withExtension: "html"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else {
            return "<!doctype html><title>RuntimeServer</title><p>The demo page is missing from this build.</p>"
        }
        return text
    }()
}
