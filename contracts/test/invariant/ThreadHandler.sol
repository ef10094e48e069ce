// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {Balance} from "../../src/interfaces/Types.sol";
import {ThreadTransfer} from "../../src/transfers/ThreadTransfer.sol";

/// @title ThreadHandler
/// @notice The actor the thread invariants drive. It opens threads (random payer, lock and
/// expiry) on two deployments of the thread definition, and resolves their legs with random
/// vouchers: for this thread or another, signed on this chain or another, for this deployment
/// or the other, by the payer or someone else, for any amount, at any time; and with cancels.
/// @dev Every resolve is made with a prediction: the voucher is accepted exactly when it is the
/// payer's, for this thread, chain and deployment, before the expiry. What an accepted one pays
/// is checked against the lock and the sum; any surprise is recorded for the invariants.
contract ThreadHandler is Test {
    uint256 internal constant PARTIES = 4;
    uint256 internal constant MAX_THREADS = 16;
    uint256 internal constant MAX_WARP = 2 days;
    uint256 internal constant HOME_CHAIN = 31337;

    struct Thread {
        ThreadTransfer definition;
        uint256 payer;
        uint256 payee;
        bytes32 id;
        uint256 lock;
        uint256 expiry;
    }

    ThreadTransfer[2] internal definitions;
    address[PARTIES] internal parties;
    uint256[PARTIES] internal keys;
    address internal node;
    Thread[] internal threads;

    uint256 public resolves;
    uint256 public accepted;
    uint256 public refused;
    uint256 public cancels;
    /// @dev An accepted resolve paid more than the lock, or the two sides do not add up.
    uint256 public overpaid;
    uint256 public notConserved;
    /// @dev A voucher for another thread, chain or deployment, or not the payer's, was accepted.
    uint256 public foreignAccepted;
    /// @dev A valid voucher was refused, or an accepted one paid other than min(amount, lock).
    uint256 public mismatches;
    string public firstMismatch;

    constructor() {
        definitions = [new ThreadTransfer(), new ThreadTransfer()];
        node = makeAddr("node");
        for (uint256 i; i < PARTIES; ++i) {
            (parties[i], keys[i]) = makeAddrAndKey(string.concat("party", vm.toString(i)));
        }
        vm.chainId(HOME_CHAIN);
        vm.warp(1_700_000_000);
    }

    function threadCount() external view returns (uint256) {
        return threads.length;
    }

    // ---------------------------------------------------------------- actions

    /// @notice Opens a thread: both legs lock `lock` until `expiry`.
    function openThread(uint256 definitionSeed, uint256 payerSeed, uint256 payeeSeed, uint256 lock, uint256 ttl)
        external
    {
        if (threads.length >= MAX_THREADS) return;
        uint256 payer = payerSeed % PARTIES;
        uint256 payee = (payer + 1 + payeeSeed % (PARTIES - 1)) % PARTIES;
        Thread memory t = Thread({
            definition: definitions[definitionSeed % 2],
            payer: payer,
            payee: payee,
            id: keccak256(abi.encode("thread", threads.length)),
            lock: _bound(lock, 1, type(uint128).max),
            expiry: block.timestamp + _bound(ttl, 1, 3 days)
        });
        try t.definition.create(_leg(t, false), _state(t)) returns (bool ok) {
            if (!ok) _mismatch("create returned false");
        } catch {
            _mismatch("create refused a valid thread");
            return;
        }
        threads.push(t);
    }

    /// @notice Resolves a leg of a thread with a voucher that may be for another thread, chain
    /// or deployment, or signed by someone other than the payer (`variant`).
    function resolveVoucher(uint256 threadSeed, uint256 amount, uint256 variant, uint256 otherSeed, bool payerLeg)
        external
    {
        if (threads.length == 0) return;
        Thread memory t = threads[threadSeed % threads.length];
        amount = _bound(amount, 0, t.lock * 2);
        (bytes memory resolver, bool foreign) = _voucher(t, amount, variant % 8, otherSeed);
        bool expectPaid = !foreign && block.timestamp < t.expiry;
        ++resolves;
        try t.definition.resolve(_leg(t, payerLeg), _state(t), resolver) returns (Balance memory b) {
            ++accepted;
            if (foreign) ++foreignAccepted;
            _checkPaid(t, b, amount);
            if (!expectPaid) _mismatch("resolve accepted a voucher it must refuse");
        } catch {
            ++refused;
            if (expectPaid) _mismatch("resolve refused a valid voucher");
        }
    }

    /// @notice Cancels a leg: the initiator keeps the lock, at any time.
    function cancel(uint256 threadSeed, bool payerLeg) external {
        if (threads.length == 0) return;
        Thread memory t = threads[threadSeed % threads.length];
        bytes memory resolver = abi.encode(ThreadTransfer.ThreadResolver({amount: 0, signature: ""}));
        ++cancels;
        try t.definition.resolve(_leg(t, payerLeg), _state(t), resolver) returns (Balance memory b) {
            _checkPaid(t, b, 0);
        } catch {
            _mismatch("cancel refused");
        }
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + _bound(seconds_, 1, MAX_WARP));
    }

    // ---------------------------------------------------------------- checks

    function _checkPaid(Thread memory t, Balance memory b, uint256 amount) internal {
        if (b.amount[1] > t.lock) ++overpaid;
        if (b.amount[0] + b.amount[1] != t.lock) ++notConserved;
        uint256 expected = amount < t.lock ? amount : t.lock;
        if (b.amount[1] != expected) _mismatch("resolve paid other than min(amount, lock)");
    }

    function _mismatch(string memory what) internal {
        if (mismatches == 0) firstMismatch = what;
        ++mismatches;
    }

    // ---------------------------------------------------------------- encoding

    /// @dev A voucher of `amount` for `t`, or, by `v`: for another thread (1), chain (2),
    /// deployment (3), thread and chain (5), or signed by someone else (4, 6). `foreign` when
    /// it is not the payer's voucher for this thread, chain and deployment.
    function _voucher(Thread memory t, uint256 amount, uint256 v, uint256 otherSeed)
        internal
        returns (bytes memory resolver, bool foreign)
    {
        bool otherThread = v == 1 || v == 5;
        bool otherChain = v == 2 || v == 5;
        bool otherDefinition = v == 3;
        bool otherSigner = v == 4 || v == 6;
        foreign = otherThread || otherChain || otherDefinition || otherSigner;

        vm.chainId(otherChain ? HOME_CHAIN + 1 + otherSeed % 1000 : HOME_CHAIN);
        bytes32 digest = (otherDefinition ? _other(t.definition) : t.definition)
        .voucherDigest(otherThread ? keccak256(abi.encode("foreign", otherSeed)) : t.id, amount);
        vm.chainId(HOME_CHAIN);
        uint256 signer = otherSigner ? (t.payer + 1 + otherSeed % (PARTIES - 1)) % PARTIES : t.payer;
        (uint8 sv, bytes32 r, bytes32 s) = vm.sign(keys[signer], digest);
        resolver = abi.encode(ThreadTransfer.ThreadResolver({amount: amount, signature: abi.encodePacked(r, s, sv)}));
    }

    function _other(ThreadTransfer definition) internal view returns (ThreadTransfer) {
        return definition == definitions[0] ? definitions[1] : definitions[0];
    }

    function _state(Thread memory t) internal view returns (bytes memory) {
        return abi.encode(
            ThreadTransfer.ThreadState({
                payer: parties[t.payer], payee: parties[t.payee], threadId: t.id, amount: t.lock, expiry: t.expiry
            })
        );
    }

    /// @dev The payer's leg (payer → node) or the node's leg (node → payee), both locking `lock`.
    function _leg(Thread memory t, bool payerLeg) internal view returns (bytes memory) {
        Balance memory b;
        b.to = payerLeg ? [payable(parties[t.payer]), payable(node)] : [payable(node), payable(parties[t.payee])];
        b.amount = [t.lock, 0];
        return abi.encode(b);
    }
}
