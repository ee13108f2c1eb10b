// EventStream.swift: server-sent events (text/event-stream) as a streamed HTTP body. The decoding
// thread sends `data: {json}\n\n` events into an `EventChannel`; FlyingFox pulls whatever has piled up
// as one HTTP chunk and writes it to the socket. When the client goes away the write fails, FlyingFox
// drops the body's iterator, and the iterator's drop token cancels the job: its slot is freed at once.
// While nothing is ready (a job waiting in the queue) a `: keep-alive` comment is sent every
// `keepAlive` seconds, so a client that left while queued is noticed too.
import Foundation
import FlyingFox
import FlyingSocks
import SpindleIO

/// SSE framing.
public enum SSE {
    /// One event carrying a JSON value: `data: {...}\n\n`.
    public static func event(_ value: JSONValue) -> [UInt8] {
        var out = Array("data: ".utf8)
        value.write(.compact, into: &out)
        out += Array("\n\n".utf8)
        return out
    }

    /// OpenAI's end of stream.
    public static let done = Array("data: [DONE]\n\n".utf8)
    /// A comment line clients ignore.
    public static let keepAlive = Array(": keep-alive\n\n".utf8)
}

/// Bytes from the decoding thread to one HTTP response body.
// Why @unchecked Sendable: every mutable member is touched only under `lock`.
public final class EventChannel: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [UInt8] = []
    private var closed = false
    private var waiter: CheckedContinuation<[UInt8]?, Never>?
    /// When the reader last got bytes (uptime nanoseconds).
    private var lastDelivery = DispatchTime.now().uptimeNanoseconds
    private var onDrop: (@Sendable () -> Void)?
    let keepAlive: Double

    /// One timer task per channel wakes a reader that has waited `keepAlive` seconds; it ends with the channel.
    public init(keepAlive: Double = 1) {
        self.keepAlive = keepAlive
        Task { [weak self] in
            while true {
                try? await Task.sleep(nanoseconds: UInt64(keepAlive * 1e9))
                guard let channel = self, channel.wakeIdle() else { return }
            }
        }
    }

    /// Queues bytes for the client.
    public func send(_ bytes: [UInt8]) {
        lock.lock()
        guard !closed else { lock.unlock(); return }
        if let w = waiter {
            waiter = nil
            lastDelivery = DispatchTime.now().uptimeNanoseconds
            lock.unlock()
            w.resume(returning: bytes)
            return
        }
        pending += bytes
        lock.unlock()
    }

    /// Ends the body once what is queued has been sent.
    public func finish() {
        lock.lock()
        closed = true
        let w = pending.isEmpty ? waiter : nil
        if w != nil { waiter = nil }
        lock.unlock()
        w?.resume(returning: nil)
    }

    /// Called once when the body's reader goes away (the response was written, or the client left).
    public func whenDropped(_ body: @escaping @Sendable () -> Void) {
        lock.lock(); onDrop = body; lock.unlock()
    }

    func dropped() {
        lock.lock()
        let f = onDrop
        onDrop = nil
        closed = true
        lock.unlock()
        f?()
    }

    /// The next bytes, at most `count` (more are kept for the next call); nil at the end.
    func next(count: Int) async -> [UInt8]? {
        await withCheckedContinuation { (c: CheckedContinuation<[UInt8]?, Never>) in
            lock.lock()
            if !pending.isEmpty {
                let n = min(count, pending.count)
                let out = Array(pending.prefix(n))
                pending.removeFirst(n)
                lastDelivery = DispatchTime.now().uptimeNanoseconds
                lock.unlock()
                c.resume(returning: out)
            } else if closed {
                lock.unlock()
                c.resume(returning: nil)
            } else {
                waiter = c
                lock.unlock()
            }
        }
    }

    /// Sends a keep-alive comment to a reader that has waited `keepAlive` seconds for nothing; false
    /// once the channel is closed (the timer stops).
    private func wakeIdle() -> Bool {
        lock.lock()
        if closed { lock.unlock(); return false }
        let idle = Double(DispatchTime.now().uptimeNanoseconds - lastDelivery) * 1e-9 >= keepAlive * 0.99
        guard idle, let w = waiter else { lock.unlock(); return true }
        waiter = nil
        lastDelivery = DispatchTime.now().uptimeNanoseconds
        lock.unlock()
        w.resume(returning: SSE.keepAlive)
        return true
    }

    /// The body FlyingFox streams (chunked transfer encoding).
    public var body: HTTPBodySequence { HTTPBodySequence(from: Bytes(channel: self)) }

    struct Bytes: AsyncBufferedSequence, Sendable {
        typealias Element = UInt8
        let channel: EventChannel
        func makeAsyncIterator() -> Iterator { Iterator(token: DropToken(channel: channel)) }
    }

    struct Iterator: AsyncBufferedIteratorProtocol {
        let token: DropToken
        mutating func next() async -> UInt8? { await token.channel.next(count: 1)?.first }
        mutating func nextBuffer(suggested count: Int) async -> [UInt8]? { await token.channel.next(count: max(1, count)) }
    }

    /// Tells the channel when the last copy of the iterator is gone.
    final class DropToken: Sendable {
        let channel: EventChannel
        init(channel: EventChannel) { self.channel = channel }
        deinit { channel.dropped() }
    }
}
