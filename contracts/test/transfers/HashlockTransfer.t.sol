// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ChannelFixture} from "../utils/ChannelFixture.sol";
import {Balance, RegisteredTransfer} from "../../src/interfaces/Types.sol";
import {HashlockTransfer} from "../../src/transfers/HashlockTransfer.sol";

contract HashlockTransferTest is ChannelFixture {
    bytes32 internal constant PRE_IMAGE = keccak256("secret");
    uint256 internal constant START = 1_700_000_000;
    /// @dev sha256 is a precompile call: compute locks before `vm.expectRevert`, or the
    /// cheatcode would watch the precompile call instead of the definition's.
    bytes32 internal secretLock;

    function setUp() public override {
        super.setUp();
        vm.warp(START);
        secretLock = lockOf(PRE_IMAGE);
    }

    function lockOf(bytes32 preImage) internal pure returns (bytes32) {
        return sha256(abi.encode(preImage));
    }

    function encBalance(uint256 initiatorAmount, uint256 responderAmount) internal view returns (bytes memory) {
        return abi.encode(twoParty(payable(alice), payable(bob), initiatorAmount, responderAmount));
    }

    function encState(bytes32 lockHash, uint256 expiry) internal pure returns (bytes memory) {
        return abi.encode(HashlockTransfer.HashlockState({lockHash: lockHash, expiry: expiry}));
    }

    function encResolver(bytes32 preImage) internal pure returns (bytes memory) {
        return abi.encode(HashlockTransfer.HashlockResolver({preImage: preImage}));
    }

    function assertBalance(Balance memory b, uint256 initiatorAmount, uint256 responderAmount) internal view {
        assertEq(b.to[0], alice);
        assertEq(b.to[1], bob);
        assertEq(b.amount[0], initiatorAmount);
        assertEq(b.amount[1], responderAmount);
    }

    // ---------------------------------------------------------------- create

    function test_create_acceptsValid() public view {
        assertTrue(hashlock.create(encBalance(1, 0), encState(secretLock, 0)));
        assertTrue(hashlock.create(encBalance(5 ether, 0), encState(secretLock, START + 1)));
        assertTrue(hashlock.create(encBalance(type(uint256).max, 0), encState(bytes32(uint256(1)), type(uint256).max)));
    }

    function test_create_revertsOnZeroAmount() public {
        vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.InvalidInitialBalance.selector, 0, 0));
        hashlock.create(encBalance(0, 0), encState(secretLock, 0));
    }

    function test_create_revertsOnResponderAmount() public {
        vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.InvalidInitialBalance.selector, 1 ether, 1));
        hashlock.create(encBalance(1 ether, 1), encState(secretLock, 0));
    }

    function test_create_revertsOnEmptyLockHash() public {
        vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.EmptyLockHash.selector));
        hashlock.create(encBalance(1 ether, 0), encState(bytes32(0), 0));
    }

    function test_create_revertsOnPastOrPresentExpiry() public {
        vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.TransferExpired.selector, START, START));
        hashlock.create(encBalance(1 ether, 0), encState(secretLock, START));
        vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.TransferExpired.selector, 1, START));
        hashlock.create(encBalance(1 ether, 0), encState(secretLock, 1));
    }

    function test_create_revertsOnMalformedEncoding() public {
        vm.expectRevert();
        hashlock.create(hex"1234", encState(secretLock, 0));
        vm.expectRevert();
        hashlock.create(encBalance(1 ether, 0), hex"1234");
    }

    // ---------------------------------------------------------------- resolve

    function test_resolve_paysResponderWithPreImage() public view {
        Balance memory b = hashlock.resolve(encBalance(3 ether, 0), encState(secretLock, 0), encResolver(PRE_IMAGE));
        assertBalance(b, 0, 3 ether);
        b = hashlock.resolve(encBalance(3 ether, 0), encState(secretLock, START + 1), encResolver(PRE_IMAGE));
        assertBalance(b, 0, 3 ether);
    }

    function test_resolve_lockUsesSha256OfAbiEncoding() public {
        // keccak256 or the packed/raw pre-image are not the lock.
        bytes32 wrongLock = keccak256(abi.encode(PRE_IMAGE));
        vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.InvalidPreImage.selector, wrongLock, secretLock));
        hashlock.resolve(encBalance(1, 0), encState(wrongLock, 0), encResolver(PRE_IMAGE));
        // For a bytes32, abi.encode and abi.encodePacked agree.
        assertEq(secretLock, sha256(abi.encodePacked(PRE_IMAGE)));
    }

    function test_resolve_revertsOnWrongPreImage() public {
        bytes32 wrong = keccak256("wrong");
        bytes32 wrongHash = lockOf(wrong);
        vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.InvalidPreImage.selector, secretLock, wrongHash));
        hashlock.resolve(encBalance(1 ether, 0), encState(secretLock, 0), encResolver(wrong));
    }

    function test_resolve_revertsAfterExpiry() public {
        bytes memory state = encState(secretLock, START + 100);
        // Just before the expiry it still pays.
        vm.warp(START + 99);
        assertBalance(hashlock.resolve(encBalance(1 ether, 0), state, encResolver(PRE_IMAGE)), 0, 1 ether);
        vm.warp(START + 100);
        vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.TransferExpired.selector, START + 100, START + 100));
        hashlock.resolve(encBalance(1 ether, 0), state, encResolver(PRE_IMAGE));
        vm.warp(START + 1000);
        vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.TransferExpired.selector, START + 100, START + 1000));
        hashlock.resolve(encBalance(1 ether, 0), state, encResolver(PRE_IMAGE));
    }

    function test_resolve_zeroPreImageCancels() public view {
        Balance memory b = hashlock.resolve(encBalance(2 ether, 0), encState(secretLock, 0), encResolver(0));
        assertBalance(b, 2 ether, 0);
    }

    function test_resolve_zeroPreImageCancelsAfterExpiry() public {
        bytes memory state = encState(secretLock, START + 10);
        vm.warp(START + 10 days);
        assertBalance(hashlock.resolve(encBalance(2 ether, 0), state, encResolver(0)), 2 ether, 0);
    }

    function test_resolve_cancelUsesRegistryEncodedCancel() public view {
        bytes memory cancel = hashlock.getRegistryInformation().encodedCancel;
        assertBalance(hashlock.resolve(encBalance(7, 0), encState(secretLock, 0), cancel), 7, 0);
    }

    function test_fixtureHashlockTransfer_createsAndResolves() public view {
        (, bytes memory state) = hashlockTransfer(bytes32(uint256(1)), alice, bob, ETH, 1 ether, PRE_IMAGE, START + 1);
        assertTrue(hashlock.create(encBalance(1 ether, 0), state));
        assertBalance(hashlock.resolve(encBalance(1 ether, 0), state, encResolver(PRE_IMAGE)), 0, 1 ether);
    }

    // ---------------------------------------------------------------- registry information

    function test_getRegistryInformation() public view {
        RegisteredTransfer memory info = hashlock.getRegistryInformation();
        assertEq(info.name, "HashlockTransfer");
        assertEq(info.definition, address(hashlock));
        assertEq(info.stateEncoding, "tuple(bytes32 lockHash, uint256 expiry)");
        assertEq(info.resolverEncoding, "tuple(bytes32 preImage)");
        assertEq(info.encodedCancel, abi.encode(bytes32(0)));
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_hashlock_create(uint256 amount, bytes32 lockHash, uint256 expiry) public {
        bool valid = amount != 0 && lockHash != bytes32(0) && (expiry == 0 || expiry > START);
        if (!valid) {
            if (amount == 0) {
                vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.InvalidInitialBalance.selector, 0, 0));
            } else if (lockHash == bytes32(0)) {
                vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.EmptyLockHash.selector));
            } else {
                vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.TransferExpired.selector, expiry, START));
            }
        }
        bool ok = hashlock.create(encBalance(amount, 0), encState(lockHash, expiry));
        if (valid) assertTrue(ok);
    }

    function testFuzz_hashlock_create_rejectsResponderAmount(uint256 amount, uint256 responderAmount) public {
        responderAmount = bound(responderAmount, 1, type(uint256).max);
        vm.expectRevert(
            abi.encodeWithSelector(HashlockTransfer.InvalidInitialBalance.selector, amount, responderAmount)
        );
        hashlock.create(encBalance(amount, responderAmount), encState(secretLock, 0));
    }

    function testFuzz_hashlock_resolve(bytes32 preImage, uint256 amount, uint256 expiry, uint256 elapsed) public {
        vm.assume(preImage != bytes32(0));
        amount = bound(amount, 1, type(uint256).max);
        expiry = bound(expiry, START + 1, type(uint128).max);
        elapsed = bound(elapsed, 0, expiry - START - 1);
        vm.warp(START + elapsed);
        bytes memory state = encState(lockOf(preImage), expiry);
        assertTrue(hashlock.create(encBalance(amount, 0), state));
        assertBalance(hashlock.resolve(encBalance(amount, 0), state, encResolver(preImage)), 0, amount);
        // Without expiry as well.
        assertBalance(
            hashlock.resolve(encBalance(amount, 0), encState(lockOf(preImage), 0), encResolver(preImage)), 0, amount
        );
    }

    function testFuzz_hashlock_resolve_wrongPreImage(bytes32 preImage, bytes32 other, uint256 amount) public {
        vm.assume(other != preImage && other != bytes32(0));
        bytes32 lock = lockOf(preImage);
        bytes32 otherHash = lockOf(other);
        vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.InvalidPreImage.selector, lock, otherHash));
        hashlock.resolve(encBalance(amount, 0), encState(lock, 0), encResolver(other));
    }

    function testFuzz_hashlock_resolve_expired(bytes32 preImage, uint256 expiry, uint256 nowTs) public {
        vm.assume(preImage != bytes32(0));
        expiry = bound(expiry, 1, type(uint128).max);
        nowTs = bound(nowTs, expiry, type(uint128).max);
        vm.warp(nowTs);
        bytes memory state = encState(lockOf(preImage), expiry);
        vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.TransferExpired.selector, expiry, nowTs));
        hashlock.resolve(encBalance(1 ether, 0), state, encResolver(preImage));
    }

    function testFuzz_hashlock_cancel(bytes32 lockHash, uint256 amount, uint256 expiry, uint256 nowTs) public {
        vm.warp(bound(nowTs, 0, type(uint128).max));
        Balance memory b = hashlock.resolve(encBalance(amount, 0), encState(lockHash, expiry), encResolver(0));
        assertBalance(b, amount, 0);
    }
}
